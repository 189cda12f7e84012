import type { ReadClient } from "@avskit/runtime";
import type { Hash, Hex } from "viem";
import type { ChainEvent, OnChainTask } from "./chain-watcher.js";
import {
  CONTINUATION,
  formatBlocks,
  formatCount,
  formatPercent,
  formatSeconds,
  formatTokens,
  label,
} from "./format.js";
import { readSigning, type SigningContracts, type SigningReport } from "./signing.js";
import { median } from "./stats.js";

/** How the view names an operator. */
export interface KnownOperator {
  readonly name: string;
  readonly operatorId: Hex;
}

export interface TaskResponseRecord {
  readonly sum: bigint;
  readonly correct: boolean;
  readonly blockNumber: bigint;
  readonly txHash: Hash;
  readonly latencyBlocks: number;
  /** Undefined when the creation block was not seen by this view. */
  readonly latencyMs: number | undefined;
  /** Undefined while it is being read; an Error when it could not be. */
  signing: SigningReport | Error | undefined;
}

export interface TaskRecord {
  readonly task: OnChainTask;
  readonly txHash: Hash;
  response: TaskResponseRecord | undefined;
  challenge: { readonly successful: boolean; readonly txHash: Hash } | undefined;
  expired: boolean;
}

export interface ProgressViewOptions {
  readonly client: ReadClient;
  readonly contracts: SigningContracts;
  readonly operators: readonly KnownOperator[];
  /** Recorded stakes at start, keyed by `stakeKey(operatorId, quorum)`, to show what avs-sync changed. */
  readonly initialStakes?: ReadonlyMap<string, bigint>;
  readonly responseWindowBlocks: number;
  /** Where the view's lines go (stdout for `npm start`). */
  readonly out: (line: string) => void;
  /** Called after each response is shown. */
  readonly onResponded?: (record: TaskRecord) => void;
  readonly now?: () => number;
}

export function stakeKey(operatorId: Hex, quorum: number): string {
  return `${operatorId.toLowerCase()}:${quorum}`;
}

/**
 * The devnet's progress view: turns chain events into a few lines per task (operands, answer,
 * signing stake per quorum, transaction, latency), plus challenges and avs-sync updates, and
 * keeps the figures for the summary.
 */
export class ProgressView {
  readonly #options: ProgressViewOptions;
  readonly #now: () => number;
  readonly #tasks = new Map<number, TaskRecord>();
  readonly #seenAt = new Map<bigint, number>();
  readonly #stakes: Map<string, bigint>;
  readonly #pendingStakeChanges = new Map<Hash, { id: Hex; quorum: number; from?: bigint; to: bigint }[]>();
  readonly #names: Map<string, string>;
  #challenges = { successful: 0, failed: 0 };
  #stakeSyncs = 0;

  constructor(options: ProgressViewOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#stakes = new Map(options.initialStakes ?? []);
    this.#names = new Map(options.operators.map((op) => [op.operatorId.toLowerCase(), op.name]));
  }

  /** Every task seen so far, by index. */
  get tasks(): ReadonlyMap<number, TaskRecord> {
    return this.#tasks;
  }

  nameOf(operatorId: Hex): string {
    return this.#names.get(operatorId.toLowerCase()) ?? `${operatorId.slice(0, 10)}…`;
  }

  /** Notes when the block was first seen (latencies are measured between these instants). */
  onBlock(blockNumber: bigint): void {
    if (!this.#seenAt.has(blockNumber)) this.#seenAt.set(blockNumber, this.#now());
    for (const record of this.#tasks.values()) {
      const deadline = BigInt(record.task.taskCreatedBlock + this.#options.responseWindowBlocks);
      if (!record.response && !record.expired && blockNumber > deadline) {
        record.expired = true;
        const { task } = record;
        this.#options.out(
          `${label(`task ${task.taskIndex}`)}${task.a} + ${task.b}: no response within ${this.#options.responseWindowBlocks} blocks ✗`,
        );
      }
    }
  }

  async onEvent(event: ChainEvent): Promise<void> {
    switch (event.kind) {
      case "task-created":
        this.#tasks.set(event.task.taskIndex, {
          task: event.task,
          txHash: event.txHash,
          response: undefined,
          challenge: undefined,
          expired: false,
        });
        return;
      case "task-responded":
        return this.#onResponded(event);
      case "task-challenged":
        return this.#onChallenged(event);
      case "stake-updated": {
        const key = stakeKey(event.operatorId, event.quorum);
        const changes = this.#pendingStakeChanges.get(event.txHash) ?? [];
        changes.push({
          id: event.operatorId,
          quorum: event.quorum,
          from: this.#stakes.get(key),
          to: event.stake,
        });
        this.#pendingStakeChanges.set(event.txHash, changes);
        this.#stakes.set(key, event.stake);
        return;
      }
      case "quorum-updated":
        return this.#onQuorumUpdated(event);
    }
  }

  async #onResponded(event: Extract<ChainEvent, { kind: "task-responded" }>): Promise<void> {
    const record = this.#tasks.get(event.taskIndex);
    if (record === undefined) return; // created before the view started
    const { task } = record;
    const createdSeen = this.#seenAt.get(BigInt(task.taskCreatedBlock));
    const respondedSeen = this.#seenAt.get(event.blockNumber) ?? this.#now();
    const expected = task.a + task.b;
    const response: TaskResponseRecord = {
      sum: event.sum,
      correct: event.sum === expected,
      blockNumber: event.blockNumber,
      txHash: event.txHash,
      latencyBlocks: Number(event.blockNumber) - task.taskCreatedBlock,
      latencyMs: createdSeen === undefined ? undefined : respondedSeen - createdSeen,
      signing: undefined,
    };
    record.response = response;
    try {
      response.signing = await readSigning(
        this.#options.client,
        this.#options.contracts,
        task,
        event.sum,
        event.txHash,
      );
    } catch (error) {
      response.signing = error as Error;
    }
    this.#options.out(this.#describeResponse(record, response).join("\n"));
    this.#options.onResponded?.(record);
  }

  #describeResponse(record: TaskRecord, response: TaskResponseRecord): string[] {
    const { task } = record;
    const verdict = response.correct ? "✓" : `✗ WRONG (a + b = ${task.a + task.b})`;
    const blocks = formatBlocks(response.latencyBlocks);
    const latency =
      response.latencyMs === undefined ? blocks : `${blocks} / ${formatSeconds(response.latencyMs)}`;
    const lines = [
      `${label(`task ${task.taskIndex}`)}${task.a} + ${task.b} = ${response.sum} ${verdict}   responded after ${latency}`,
    ];
    const signing = response.signing;
    if (signing instanceof Error) {
      lines.push(`${CONTINUATION}signers unknown: ${signing.message}`);
    } else if (signing !== undefined) {
      const quorums = signing.quorums.map(
        (q) =>
          `q${q.quorum} ${q.signers}/${q.operators} operators, ${formatPercent(q.signedStake, q.totalStake)} stake`,
      );
      const missing =
        signing.nonSignerIds.length === 0
          ? ""
          : `   not signed: ${signing.nonSignerIds
              .map((id) => this.nameOf(id))
              .sort((x, y) => x.localeCompare(y, "en", { numeric: true }))
              .join(", ")}`;
      lines.push(`${CONTINUATION}${quorums.join("   ")}${missing}`);
      lines.push(`${CONTINUATION}tx ${response.txHash}  gas ${formatCount(signing.gasUsed)}`);
    }
    return lines;
  }

  #onChallenged(event: Extract<ChainEvent, { kind: "task-challenged" }>): void {
    const record = this.#tasks.get(event.taskIndex);
    if (record) record.challenge = { successful: event.successful, txHash: event.txHash };
    if (event.successful) this.#challenges.successful++;
    else this.#challenges.failed++;
    const outcome = event.successful ? "response proven WRONG" : "response upheld (challenge failed)";
    this.#options.out(
      `${label("challenge")}task ${event.taskIndex}: ${outcome} by ${event.challenger}\n${CONTINUATION}tx ${event.txHash}`,
    );
  }

  #onQuorumUpdated(event: Extract<ChainEvent, { kind: "quorum-updated" }>): void {
    this.#stakeSyncs++;
    const changes = (this.#pendingStakeChanges.get(event.txHash) ?? []).filter(
      (change) => change.quorum === event.quorum,
    );
    const what =
      changes.length === 0
        ? "none had changed"
        : changes
            .map(
              (c) =>
                `${this.nameOf(c.id)} ${c.from === undefined ? "?" : formatTokens(c.from)} → ${formatTokens(c.to)}`,
            )
            .join(", ");
    this.#options.out(
      `${label("avs-sync")}quorum ${event.quorum} stakes refreshed: ${what}\n${CONTINUATION}tx ${event.txHash}`,
    );
    const rest = (this.#pendingStakeChanges.get(event.txHash) ?? []).filter((c) => c.quorum !== event.quorum);
    if (rest.length === 0) this.#pendingStakeChanges.delete(event.txHash);
    else this.#pendingStakeChanges.set(event.txHash, rest);
  }

  /** The figures of the run so far. */
  figures(): {
    created: number;
    responded: number;
    correct: number;
    wrong: number;
    expired: number;
    /** Indexes of tasks created and neither responded nor expired (yet). */
    open: number[];
    challengesSuccessful: number;
    challengesFailed: number;
    stakeSyncs: number;
    latenciesMs: number[];
    latenciesBlocks: number[];
    medianLatencyMs: number | undefined;
    medianLatencyBlocks: number | undefined;
  } {
    const records = [...this.#tasks.values()];
    const responses = records.flatMap((r) => (r.response ? [r.response] : []));
    const latenciesMs = responses.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
    const latenciesBlocks = responses.map((r) => r.latencyBlocks);
    return {
      created: records.length,
      responded: responses.length,
      correct: responses.filter((r) => r.correct).length,
      wrong: responses.filter((r) => !r.correct).length,
      expired: records.filter((r) => r.expired).length,
      open: records.filter((r) => !r.response && !r.expired).map((r) => r.task.taskIndex),
      challengesSuccessful: this.#challenges.successful,
      challengesFailed: this.#challenges.failed,
      stakeSyncs: this.#stakeSyncs,
      latenciesMs,
      latenciesBlocks,
      medianLatencyMs: median(latenciesMs),
      medianLatencyBlocks: median(latenciesBlocks),
    };
  }
}
