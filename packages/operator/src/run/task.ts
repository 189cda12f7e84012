import type { Hex } from "viem";

/** A task as the task manager emits it in `NewTaskCreated`. */
export interface Task {
  readonly taskIndex: number;
  readonly a: bigint;
  readonly b: bigint;
  readonly taskCreatedBlock: number;
  readonly quorumThresholdPercentage: number;
  /** `bytes`: one byte per quorum. */
  readonly quorumNumbers: Hex;
}

const UINT256_MAX = (1n << 256n) - 1n;

/** The honest answer. The task manager refuses tasks whose sum would overflow uint256. */
export function computeSum(task: Task): bigint {
  return task.a + task.b;
}

/** A wrong answer that still fits in a uint256 (test-only misbehaviour). */
export function wrongSum(sum: bigint): bigint {
  return sum === UINT256_MAX ? 0n : sum + 1n;
}
