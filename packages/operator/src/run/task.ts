import { encodeAbiParameters, type Hex, keccak256 } from "viem";

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

/** What operators sign: the task manager's `TaskResponse`. */
export interface TaskResponse {
  readonly referenceTaskIndex: number;
  readonly sum: bigint;
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

/** keccak256(abi.encode(TaskResponse)): the digest the contract checks the aggregate signature against. */
export function responseDigest(response: TaskResponse): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        {
          type: "tuple",
          components: [
            { name: "referenceTaskIndex", type: "uint32" },
            { name: "sum", type: "uint256" },
          ],
        },
      ],
      [{ referenceTaskIndex: response.referenceTaskIndex, sum: response.sum }],
    ),
  );
}
