import type { Address, Hash } from "viem";

/** One operator's stake in one quorum: what the StakeRegistry holds and what it would hold after an update. */
export interface OperatorStake {
  readonly operator: Address;
  /** The stake the StakeRegistry records now. */
  readonly stored: bigint;
  /** The operator's current weight from the restaking contracts (delegations, deposits). */
  readonly weight: bigint;
}

/** A quorum as read in one block. */
export interface QuorumSnapshot {
  readonly quorum: number;
  readonly blockNumber: bigint;
  /** The complete operator set, in the contract's order (the caller sorts). */
  readonly operators: readonly Address[];
  /** One entry per operator, same order as `operators`. */
  readonly stakes: readonly OperatorStake[];
  /** Below this weight an update removes the operator from the quorum. */
  readonly minimumStake: bigint;
}

/** An operator as read for a subset update: its quorums and its stake in each. */
export interface OperatorSnapshot {
  readonly operator: Address;
  /** False when the operator is not registered with the AVS: an update does nothing for it. */
  readonly registered: boolean;
  readonly quorums: readonly {
    readonly quorum: number;
    readonly stake: OperatorStake;
    readonly minimumStake: bigint;
  }[];
}

export interface LastFullUpdate {
  readonly blockNumber: bigint;
  /** Unix seconds of that block. */
  readonly timestamp: number;
}

export interface TxOutcome {
  readonly txHash: Hash;
  readonly status: "success" | "reverted";
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
  /** Unix seconds of the block. */
  readonly timestamp: number;
}

/**
 * Everything the sync algorithm needs from the chain. The real implementation talks to the
 * RegistryCoordinator and StakeRegistry over JSON-RPC; tests of the control flow use a fake.
 */
export interface SyncChain {
  quorumCount(): Promise<number>;
  readQuorum(quorum: number): Promise<QuorumSnapshot>;
  readOperators(operators: readonly Address[]): Promise<OperatorSnapshot[]>;
  /** The block of the quorum's last complete update; undefined when it never had one. */
  lastFullUpdate(quorum: number): Promise<LastFullUpdate | undefined>;
  /** Gas of `updateOperatorsForQuorum([operators], [quorum])` from the signer (operators sorted). */
  estimateQuorumUpdate(quorum: number, operators: readonly Address[]): Promise<bigint>;
  sendQuorumUpdate(quorum: number, operators: readonly Address[], gasLimit: bigint): Promise<Hash>;
  /** Gas of `updateOperators(operators)`. */
  estimateOperatorsUpdate(operators: readonly Address[]): Promise<bigint>;
  sendOperatorsUpdate(operators: readonly Address[], gasLimit: bigint): Promise<Hash>;
  /**
   * Waits for the receipt; throws ReceiptTimeoutError after `timeoutMs`, and the runtime's
   * ReceiptWaitAbortedError as soon as `signal` aborts (a stop: the outcome stays unknown).
   */
  waitForOutcome(txHash: Hash, timeoutMs: number, signal?: AbortSignal): Promise<TxOutcome>;
}

/**
 * The stake an update would store: the weight, or 0 when the weight is below the quorum's
 * minimum (the operator is then removed from the quorum).
 */
export function stakeAfterUpdate(weight: bigint, minimumStake: bigint): bigint {
  return weight >= minimumStake ? weight : 0n;
}

/** True when an update would change what the StakeRegistry records for this operator. */
export function isStale(stake: OperatorStake, minimumStake: bigint): boolean {
  return stake.stored !== stakeAfterUpdate(stake.weight, minimumStake);
}

/** Addresses sorted strictly ascending as numbers, the order the registry coordinator requires. */
export function sortAddresses(addresses: readonly Address[]): Address[] {
  return [...addresses].sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
