import { resolveContracts, taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { Address } from "viem";

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
  const { addresses } = await resolveContracts(client, {
    ...(options.deploymentsDir !== undefined ? { dir: options.deploymentsDir } : {}),
    contracts: { taskManager: { flag: "--task-manager-addr", address: options.taskManagerAddr } },
  });
  const taskManager = addresses.taskManager;
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
