import { loadDeployment, taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { Address } from "viem";
import { TaskManagerNotDeployedError } from "./errors.js";

export interface ChallengeTarget {
  readonly taskManager: Address;
  /** Blocks after a task's creation during which a response is accepted. */
  readonly responseWindowBlocks: number;
  /** Blocks after a response during which a challenge is accepted. */
  readonly challengeWindowBlocks: number;
}

/** The TaskManager (from the flag, else the deployments file) and its two windows, read from the contract. */
export async function resolveChallengeTarget(
  client: ReadClient,
  options: { taskManagerAddr: Address | undefined; deploymentsDir: string | undefined },
): Promise<ChallengeTarget> {
  const chainId = client.chain.id;
  const taskManager =
    options.taskManagerAddr ??
    (await loadDeployment(chainId, options.deploymentsDir ? { dir: options.deploymentsDir } : {})).contracts
      .taskManager.proxy;
  const code = await client.getCode({ address: taskManager });
  if (code === undefined || code === "0x") {
    const source = options.taskManagerAddr ? "--task-manager-addr" : `deployments/${chainId}.json`;
    throw new TaskManagerNotDeployedError(taskManager, chainId, source);
  }
  const [responseWindowBlocks, challengeWindowBlocks] = await Promise.all([
    client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "TASK_RESPONSE_WINDOW_BLOCK",
    }),
    client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "TASK_CHALLENGE_WINDOW_BLOCK",
    }),
  ]);
  return { taskManager, responseWindowBlocks, challengeWindowBlocks };
}
