import type { Address, Hash } from "viem";
import type { StaleStake } from "./report.js";
import { isStale, type SyncChain, sortAddresses, stakeAfterUpdate } from "./sync-chain.js";

/** One try's view of an update, read fresh from the chain just before sending. */
export interface PreparedUpdate {
  /** Quorums the update touches (metric labels). */
  readonly quorums: readonly number[];
  /** The operators the transaction carries, in the order it carries them. */
  readonly operators: readonly Address[];
  readonly stale: readonly StaleStake[];
  /** Set when the update must not be sent at all (e.g. none of the operators is registered). */
  readonly nothingToDo?: string;
  /** When true, a successful update refreshes the quorum's last full update. */
  readonly full: boolean;
  estimateGas(): Promise<bigint>;
  send(gasLimit: bigint): Promise<Hash>;
}

/** An update the sync runs as one transaction, re-prepared before every try. */
export interface UpdateTask {
  /** "quorum 3" or "operators 0xab…, 0xcd…": used in logs and reports. */
  readonly target: string;
  /** Quorums known before preparing (labels for failures that happen before the first read). */
  readonly knownQuorums: readonly number[];
  prepare(): Promise<PreparedUpdate>;
}

/** Whole-set mode: the quorum's complete operator list, sorted, in `updateOperatorsForQuorum`. */
export function quorumTask(chain: SyncChain, quorum: number): UpdateTask {
  return {
    target: `quorum ${quorum}`,
    knownQuorums: [quorum],
    async prepare() {
      const snapshot = await chain.readQuorum(quorum);
      const operators = sortAddresses(snapshot.operators);
      const stale: StaleStake[] = snapshot.stakes
        .filter((stake) => isStale(stake, snapshot.minimumStake))
        .map((stake) => ({
          operator: stake.operator,
          quorum,
          stored: stake.stored,
          next: stakeAfterUpdate(stake.weight, snapshot.minimumStake),
        }));
      return {
        quorums: [quorum],
        operators,
        stale,
        full: true,
        estimateGas: () => chain.estimateQuorumUpdate(quorum, operators),
        send: (gasLimit) => chain.sendQuorumUpdate(quorum, operators, gasLimit),
      };
    },
  };
}

function shortList(operators: readonly Address[]): string {
  const shown = operators.slice(0, 3).join(", ");
  return operators.length > 3 ? `${shown} and ${operators.length - 3} more` : shown;
}

/** Subset mode: just these operators, in all their quorums, with `updateOperators`. */
export function operatorsTask(chain: SyncChain, operators: readonly Address[]): UpdateTask {
  return {
    target: `operators ${shortList(operators)}`,
    knownQuorums: [],
    async prepare() {
      const snapshots = await chain.readOperators(operators);
      const registered = snapshots.filter((s) => s.registered).map((s) => s.operator);
      const quorums = [...new Set(snapshots.flatMap((s) => s.quorums.map((q) => q.quorum)))].sort(
        (a, b) => a - b,
      );
      const stale: StaleStake[] = snapshots.flatMap((s) =>
        s.quorums
          .filter((q) => isStale(q.stake, q.minimumStake))
          .map((q) => ({
            operator: s.operator,
            quorum: q.quorum,
            stored: q.stake.stored,
            next: stakeAfterUpdate(q.stake.weight, q.minimumStake),
          })),
      );
      const sorted = sortAddresses(registered);
      return {
        quorums,
        operators: sorted,
        stale,
        full: false,
        ...(registered.length === 0
          ? { nothingToDo: "none of the operators is registered with the AVS" }
          : {}),
        estimateGas: () => chain.estimateOperatorsUpdate(sorted),
        send: (gasLimit) => chain.sendOperatorsUpdate(sorted, gasLimit),
      };
    },
  };
}
