import type { G1Point, G2Point } from "@avskit/bls";
import type { Address, Hex } from "viem";

/** One operator as the registries saw it at a task's reference block. */
export interface OperatorRecord {
  /** keccak256(pkG1), lowercase 0x-hex. */
  readonly operatorId: Hex;
  readonly address: Address;
  readonly pubkeyG1: G1Point;
  readonly pubkeyG2: G2Point;
  /** Stake in each quorum the operator belongs to (only quorums asked for are present). */
  readonly stakes: ReadonlyMap<number, bigint>;
}

/**
 * The operator set of some quorums at one block: who is registered, with what stake, and each
 * quorum's total stake. Immutable once loaded; shared by every task with the same reference
 * block and quorums, so nothing that aggregates may write into it.
 */
export interface OperatorState {
  readonly blockNumber: bigint;
  /** The quorums this state covers, ascending. */
  readonly quorumNumbers: readonly number[];
  readonly totalStakes: ReadonlyMap<number, bigint>;
  /** Every operator in at least one of `quorumNumbers`, by operatorId. */
  readonly operators: ReadonlyMap<Hex, OperatorRecord>;
  /** Operators registered at the block only in other quorums (only used to word refusals). */
  readonly otherRegistered?: ReadonlySet<Hex>;
}

/** Loads operator states (the chain implementation caches by block and quorums). */
export interface OperatorStateProvider {
  /** The state of `quorumNumbers` at `blockNumber`. */
  load(blockNumber: bigint, quorumNumbers: readonly number[]): Promise<OperatorState>;
}
