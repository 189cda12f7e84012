import { type Deployment, loadDeployment } from "@avskit/bindings";
import { ConfigError, envNameFor, type ReadClient } from "@avskit/runtime";
import type { Address } from "viem";
import { TaskManagerNotDeployedError, UnknownQuorumError } from "./errors.js";
import { ENV_PREFIX, type TaskGeneratorConfig } from "./options.js";

/** Where tasks go and which quorums must sign them. */
export interface TaskTarget {
  readonly taskManager: Address;
  readonly quorums: readonly number[];
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
  const chainId = client.chain.id;
  const needDeployment = config.taskManagerAddr === undefined || config.quorums === undefined;
  let deployment: Deployment | undefined;
  if (needDeployment) {
    deployment = await loadDeployment(chainId, config.deploymentsDir ? { dir: config.deploymentsDir } : {});
  }
  const taskManager = config.taskManagerAddr ?? deployment!.contracts.taskManager.proxy;
  const source = config.taskManagerAddr ? "--task-manager-addr" : `deployments/${chainId}.json`;
  const known = deployment?.quorums.map((quorum) => quorum.quorumNumber);
  const quorums = config.quorums ?? known;
  if (quorums === undefined) {
    throw new ConfigError(
      "--quorums",
      envNameFor("--quorums", ENV_PREFIX),
      "is required without a deployments file",
    );
  }
  if (known !== undefined) {
    for (const quorum of quorums) if (!known.includes(quorum)) throw new UnknownQuorumError(quorum, known);
  }
  const code = await client.getCode({ address: taskManager });
  if (code === undefined || code === "0x")
    throw new TaskManagerNotDeployedError(taskManager, chainId, source);
  return { taskManager, quorums };
}
