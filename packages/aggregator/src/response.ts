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

/**
 * The 32-byte message operators sign: keccak256(abi.encode(response)), the digest the task
 * manager recomputes on-chain. Responses are grouped by it, so different answers never mix.
 */
export function responseDigest(response: TaskResponse): Hex {
  return keccak256(encodeAbiParameters(TASK_RESPONSE_ABI, [response]));
}
