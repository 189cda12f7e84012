import { ContractResolutionError, resolveContracts } from "@avskit/bindings";
import { ConfigError, envNameFor, type ReadClient } from "@avskit/runtime";
import type { Address } from "viem";
import { UnknownQuorumError } from "./errors.js";
import { ENV_PREFIX, type TaskGeneratorConfig } from "./options.js";

/** Where tasks go and which quorums must sign them. */
export interface TaskTarget {
  readonly taskManager: Address;
  readonly quorums: readonly number[];
}

/** The TaskManager's address, and the deployment when it was read (for its quorums). */
async function findTaskManager(client: ReadClient, config: TaskGeneratorConfig) {
  try {
    return await resolveContracts(client, {
      ...(config.deploymentsDir !== undefined ? { dir: config.deploymentsDir } : {}),
      contracts: { taskManager: { flag: "--task-manager-addr", address: config.taskManagerAddr } },
      needDeployment: config.quorums === undefined,
    });
  } catch (error) {
    // The address was given: what is missing is the quorums, which only the file could supply.
    if (
      error instanceof ContractResolutionError &&
      error.problem === "no-deployment" &&
      config.taskManagerAddr !== undefined
    ) {
      throw new ConfigError(
        "--quorums",
        envNameFor("--quorums", ENV_PREFIX),
        `is required without a deployments file (${error.source} does not exist)`,
      );
    }
    throw error;
  }
}

/**
 * The TaskManager comes from --task-manager-addr or the deployments file; the quorums from
 * --quorums or, when omitted, every quorum of the deployment. Explicit quorums are checked
 * against the deployment when there is one, so a typo fails at start-up, not on every tick.
 */
export async function resolveTaskTarget(
  client: ReadClient,
  config: TaskGeneratorConfig,
): Promise<TaskTarget> {
  const { addresses, deployment } = await findTaskManager(client, config);
  const known = deployment?.quorums.map((quorum) => quorum.quorumNumber);
  // Without --quorums the deployment was read (needDeployment), so `known` is there.
  const quorums = config.quorums ?? known ?? [];
  if (known !== undefined) {
    for (const quorum of quorums) if (!known.includes(quorum)) throw new UnknownQuorumError(quorum, known);
  }
  return { taskManager: addresses.taskManager, quorums };
}
