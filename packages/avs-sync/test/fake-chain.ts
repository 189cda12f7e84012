// An in-memory stand-in for the AVS contracts, for the control-flow tests only. It stays because
// they need decisions no real chain can be made to produce on demand, at an exact step: a read
// failing exactly n times, a registration landing between a try's read and its send at every
// try, a stop between two updates or during one backoff, a staleness clock 30 s after the last
// block. It models the one rule the race depends on: an updateOperatorsForQuorum whose list is
// not the quorum's complete, ascending set reverts. The real contracts (and the race on a real
// mempool) are exercised by the anvil tests.
import { ReceiptWaitAbortedError } from "@avskit/runtime";
import { type Address, getAddress, type Hash, keccak256, toHex } from "viem";
import type {
  LastFullUpdate,
  OperatorSnapshot,
  QuorumSnapshot,
  SyncChain,
  TxOutcome,
} from "../src/sync-chain.js";

export function addr(n: number): Address {
  return getAddress(`0x${n.toString(16).padStart(40, "0")}`);
}

interface FakeQuorum {
  operators: Address[];
  stored: Map<Address, bigint>;
  minimumStake: bigint;
  lastFullUpdate?: LastFullUpdate;
}

export interface SentUpdate {
  kind: "quorum" | "operators";
  quorum?: number;
  operators: Address[];
  gasLimit: bigint;
  txHash: Hash;
}

export class FakeChain implements SyncChain {
  readonly quorums: FakeQuorum[] = [];
  readonly weights = new Map<Address, bigint>();
  readonly sent: SentUpdate[] = [];
  readonly reads: number[] = [];
  gasPerOperator = 50_000n;
  block = 100n;
  timestamp = 1_700_000_000;
  /** Runs after the read of a try and before its send (the race window). */
  beforeSend: ((update: Omit<SentUpdate, "txHash" | "gasLimit">) => void) | undefined;
  /** Each call makes the next chain read throw (an RPC outage). */
  failReads = 0;
  /** Runs once an update's outcome has been handed out (the step after the receipt). */
  onOutcome: ((outcome: TxOutcome) => void) | undefined;
  readonly #outcomes = new Map<Hash, TxOutcome>();
  #nonce = 0;

  addQuorum(operators: Address[], minimumStake = 0n): number {
    const stored = new Map<Address, bigint>();
    for (const operator of operators) stored.set(operator, this.weights.get(operator) ?? 0n);
    this.quorums.push({ operators: [...operators], stored, minimumStake });
    return this.quorums.length - 1;
  }

  setWeight(operator: Address, weight: bigint): void {
    this.weights.set(operator, weight);
  }

  /** Registration: joins the quorum with its current weight recorded. */
  register(quorum: number, operator: Address): void {
    const q = this.quorums[quorum]!;
    q.operators.push(operator);
    q.stored.set(operator, this.weights.get(operator) ?? 0n);
  }

  #maybeFail(): void {
    if (this.failReads > 0) {
      this.failReads--;
      throw new Error("fetch failed: connect ECONNREFUSED 127.0.0.1:8545");
    }
  }

  async quorumCount(): Promise<number> {
    this.#maybeFail();
    return this.quorums.length;
  }

  async readQuorum(quorum: number): Promise<QuorumSnapshot> {
    this.#maybeFail();
    this.reads.push(quorum);
    const q = this.quorums[quorum]!;
    return {
      quorum,
      blockNumber: this.block,
      operators: [...q.operators],
      stakes: q.operators.map((operator) => ({
        operator,
        stored: q.stored.get(operator) ?? 0n,
        weight: this.weights.get(operator) ?? 0n,
      })),
      minimumStake: q.minimumStake,
    };
  }

  async readOperators(operators: readonly Address[]): Promise<OperatorSnapshot[]> {
    this.#maybeFail();
    return operators.map((operator) => {
      const quorums = this.quorums.flatMap((q, quorum) =>
        q.operators.includes(operator)
          ? [
              {
                quorum,
                minimumStake: q.minimumStake,
                stake: {
                  operator,
                  stored: q.stored.get(operator) ?? 0n,
                  weight: this.weights.get(operator) ?? 0n,
                },
              },
            ]
          : [],
      );
      return { operator, registered: quorums.length > 0, quorums };
    });
  }

  async lastFullUpdate(quorum: number): Promise<LastFullUpdate | undefined> {
    this.#maybeFail();
    return this.quorums[quorum]!.lastFullUpdate;
  }

  async estimateQuorumUpdate(_quorum: number, operators: readonly Address[]): Promise<bigint> {
    this.#maybeFail();
    return 30_000n + this.gasPerOperator * BigInt(operators.length);
  }

  async estimateOperatorsUpdate(operators: readonly Address[]): Promise<bigint> {
    this.#maybeFail();
    return 30_000n + this.gasPerOperator * BigInt(operators.length);
  }

  #mine(status: "success" | "reverted", gasUsed: bigint): Hash {
    const txHash = keccak256(toHex(++this.#nonce));
    this.block++;
    this.timestamp += 12;
    this.#outcomes.set(txHash, {
      txHash,
      status,
      blockNumber: this.block,
      gasUsed,
      timestamp: this.timestamp,
    });
    return txHash;
  }

  async sendQuorumUpdate(quorum: number, operators: readonly Address[], gasLimit: bigint): Promise<Hash> {
    this.beforeSend?.({ kind: "quorum", quorum, operators: [...operators] });
    const q = this.quorums[quorum]!;
    const sorted = operators.every((op, i) => i === 0 || BigInt(operators[i - 1]!) < BigInt(op));
    const complete =
      operators.length === q.operators.length && operators.every((op) => q.operators.includes(op));
    const ok = sorted && complete;
    if (ok) {
      for (const operator of operators) q.stored.set(operator, this.weights.get(operator) ?? 0n);
    }
    const txHash = this.#mine(ok ? "success" : "reverted", 40_000n * BigInt(operators.length));
    if (ok) q.lastFullUpdate = { blockNumber: this.block, timestamp: this.timestamp };
    this.sent.push({ kind: "quorum", quorum, operators: [...operators], gasLimit, txHash });
    return txHash;
  }

  async sendOperatorsUpdate(operators: readonly Address[], gasLimit: bigint): Promise<Hash> {
    this.beforeSend?.({ kind: "operators", operators: [...operators] });
    for (const q of this.quorums) {
      for (const operator of operators) {
        if (q.operators.includes(operator)) q.stored.set(operator, this.weights.get(operator) ?? 0n);
      }
    }
    const txHash = this.#mine("success", 40_000n * BigInt(operators.length));
    this.sent.push({ kind: "operators", operators: [...operators], gasLimit, txHash });
    return txHash;
  }

  /** Like the real wait: a stop ends it before the receipt is seen. */
  async waitForOutcome(txHash: Hash, _timeoutMs: number, signal?: AbortSignal): Promise<TxOutcome> {
    if (signal?.aborted) throw new ReceiptWaitAbortedError(txHash, signal.reason);
    const outcome = this.#outcomes.get(txHash);
    if (!outcome) throw new Error(`unknown transaction ${txHash}`);
    this.onOutcome?.(outcome);
    return outcome;
  }
}
