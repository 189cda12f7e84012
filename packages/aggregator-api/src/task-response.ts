import { encodeAbiParameters, type Hex, keccak256 } from "viem";

/** The answer operators sign, as the task manager's `TaskResponse` struct. */
export interface TaskResponse {
  readonly referenceTaskIndex: number;
  readonly sum: bigint;
}

const TASK_RESPONSE_ABI = [
  {
    type: "tuple",
    components: [
      { name: "referenceTaskIndex", type: "uint32" },
      { name: "sum", type: "uint256" },
    ],
  },
] as const;

/** Recently computed digests: every operator of a task usually sends the same answer. */
const recent = new Map<string, Hex>();
const RECENT_LIMIT = 1024;

/**
 * The 32-byte message operators sign: keccak256(abi.encode(response)), the digest the task
 * manager recomputes on-chain. The aggregator groups responses by it, so different answers
 * never mix in one aggregate.
 */
export function taskResponseDigest(response: TaskResponse): Hex {
  const key = `${response.referenceTaskIndex}:${response.sum}`;
  let digest = recent.get(key);
  if (digest === undefined) {
    digest = keccak256(
      encodeAbiParameters(TASK_RESPONSE_ABI, [
        { referenceTaskIndex: response.referenceTaskIndex, sum: response.sum },
      ]),
    );
    if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!);
    recent.set(key, digest);
  }
  return digest;
}
