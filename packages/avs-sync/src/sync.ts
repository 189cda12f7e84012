import {
  type BackoffPolicy,
  type Logger,
  ReceiptWaitAbortedError,
  RetryAbortedError,
  type RetryOptions,
  retry,
} from "@avskit/runtime";
import type { Address } from "viem";
import { AvsSyncError, MaxGasExceededError, TxRevertedError, UnknownQuorumError } from "./errors.js";
import type { SyncMetrics } from "./metrics.js";
import type { SyncReport, UpdateResult } from "./report.js";
import type { SyncChain, TxOutcome } from "./sync-chain.js";
import { operatorsTask, quorumTask, type UpdateTask } from "./update-task.js";

/** What to update. */
export type SyncTargets =
  | {
      readonly kind: "quorums";
      /** Explicit quorum numbers; all of the coordinator's quorums when omitted. */
      readonly quorums?: readonly number[];
      /** Read the quorum count from chain at every run (and check explicit quorums against it). */
      readonly fetchDynamically: boolean;
    }
  | { readonly kind: "operators"; readonly operators: readonly Address[] };

export interface SyncOptions {
  /** Tries per update (≥ 1), each re-reading the operator set. */
  readonly tries: number;
  /** Wait after failed try n: initial · 2^(n−1), capped; no jitter (one worker per AVS). */
  readonly backoff: BackoffPolicy;
  /** Report what would change and the estimated gas; send nothing. */
  readonly dryRun: boolean;
  /** Send even when every recorded stake is already current. */
  readonly force: boolean;
  /**
   * Update a quorum whose stakes are all current anyway once its last full update is this old
   * (ms), so the signature checker's stale-stake guard stays satisfied; 0 never does.
   */
  readonly refreshAfterMs: number;
  /** Refuse to send an update estimated above this much gas. */
  readonly maxGasPerTx?: bigint;
  /** Longest wait for a receipt, per try. */
  readonly writerTimeoutMs: number;
  /** The gas limit sent is the estimate plus this many percent. */
  readonly gasMarginPercent: number;
}

export interface SyncDeps {
  readonly chain: SyncChain;
  readonly logger: Logger;
  readonly metrics: SyncMetrics;
  /**
   * Aborting stops the run between steps and ends a receipt wait (the update is then reported
   * as interrupted with its transaction hash: sent, outcome unknown).
   */
  readonly signal: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now?: () => Date;
}

/** Errors that another try cannot fix. */
function isFinal(error: unknown): boolean {
  return error instanceof MaxGasExceededError || error instanceof UnknownQuorumError;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export interface RetryDeps {
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Errors no retry can fix, thrown at once. */
  readonly isPermanent?: (error: unknown) => boolean;
}

function retryOptions(
  options: Pick<SyncOptions, "tries" | "backoff">,
  deps: RetryDeps,
  onRetry: NonNullable<RetryOptions["onRetry"]>,
): RetryOptions {
  return {
    policy: options.backoff,
    tries: options.tries,
    signal: deps.signal,
    isPermanent: (error) => isFinal(error) || deps.isPermanent?.(error) === true,
    onRetry,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  };
}

/**
 * A step that precedes the updates (connecting, reading the quorum count), retried like them: an
 * RPC outage at the start of a run is common. Resolves undefined when a stop interrupts it.
 */
export async function withRetries<T>(
  what: string,
  step: () => Promise<T>,
  options: Pick<SyncOptions, "tries" | "backoff">,
  deps: RetryDeps,
): Promise<T | undefined> {
  try {
    return await retry(
      step,
      retryOptions(options, deps, ({ failedTry, error, delayMs }) =>
        deps.logger.warn(
          { err: asError(error), try: failedTry, tries: options.tries, delayMs },
          `${what} failed; retrying after backoff`,
        ),
      ),
    );
  } catch (error) {
    if (deps.signal.aborted) return undefined;
    throw error;
  }
}

async function resolveTasks(
  targets: SyncTargets,
  options: SyncOptions,
  deps: SyncDeps,
): Promise<UpdateTask[] | undefined> {
  if (targets.kind === "operators") return [operatorsTask(deps.chain, targets.operators)];
  let quorums = targets.quorums;
  if (targets.fetchDynamically) {
    const count = await withRetries(
      "reading the quorum count",
      () => deps.chain.quorumCount(),
      options,
      deps,
    );
    if (count === undefined) return undefined;
    for (const quorum of quorums ?? []) if (quorum >= count) throw new UnknownQuorumError(quorum, count);
    quorums ??= Array.from({ length: count }, (_, i) => i);
  }
  if (quorums === undefined)
    throw new AvsSyncError("no quorums to update: give --quorums or fetch them dynamically");
  return quorums.map((quorum) => quorumTask(deps.chain, quorum));
}

/**
 * Which quorums are due a refresh (last full update older than refreshAfterMs, or never) and
 * feeds the staleness gauge from the chain, so it is right from the first run (restarts, cron).
 * A quorum whose update block cannot be read is treated as due: refreshing costs only gas.
 */
async function refreshDue(
  quorums: readonly number[],
  options: SyncOptions,
  deps: SyncDeps,
): Promise<Set<number>> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const due = new Set<number>();
  for (const quorum of quorums) {
    try {
      const last = await deps.chain.lastFullUpdate(quorum);
      if (last) deps.metrics.fullUpdateAt(quorum, last.timestamp);
      const ageMs = last === undefined ? Number.POSITIVE_INFINITY : now - last.timestamp * 1000;
      if (options.refreshAfterMs > 0 && ageMs >= options.refreshAfterMs) due.add(quorum);
    } catch (error) {
      deps.logger.warn({ quorum, err: asError(error) }, "could not read the quorum's last full update");
      if (options.refreshAfterMs > 0) due.add(quorum);
    }
  }
  return due;
}

/** One try of an update: read, decide, estimate, send, wait for the outcome. */
async function tryUpdate(
  task: UpdateTask,
  tryNumber: number,
  refresh: boolean,
  options: SyncOptions,
  deps: SyncDeps,
  onQuorums: (quorums: readonly number[]) => void,
): Promise<UpdateResult> {
  const { metrics, chain, signal } = deps;
  const log = deps.logger.child({ target: task.target, try: tryNumber, tries: options.tries });
  const prepared = await task.prepare();
  const quorums = prepared.quorums;
  onQuorums(quorums);
  const operators = prepared.operators.length;
  if (prepared.nothingToDo !== undefined) {
    throw new AvsSyncError(`${task.target}: ${prepared.nothingToDo}`);
  }
  if (prepared.stale.length === 0 && !options.force && !refresh) {
    log.info({ operators }, "every recorded stake is current; skipping (use --force to update anyway)");
    return { kind: "skipped", target: task.target, quorums, operators, reason: "stakes current" };
  }
  if (prepared.stale.length === 0 && !options.force) {
    log.info(
      { operators },
      "every recorded stake is current, but the last full update is older than --refresh-after",
    );
  }
  const estimatedGas = await prepared.estimateGas();
  if (options.maxGasPerTx !== undefined && estimatedGas > options.maxGasPerTx) {
    const quorum = prepared.full ? prepared.quorums[0] : undefined;
    throw new MaxGasExceededError(quorum, operators, estimatedGas, options.maxGasPerTx);
  }
  if (options.dryRun) {
    log.info(
      {
        operators,
        estimatedGas: estimatedGas.toString(),
        stale: prepared.stale.map((s) => ({
          operator: s.operator,
          quorum: s.quorum,
          stored: s.stored.toString(),
          next: s.next.toString(),
        })),
      },
      `dry run: ${prepared.stale.length} operator stake(s) would change; nothing sent`,
    );
    return { kind: "dry-run", target: task.target, quorums, operators, stale: prepared.stale, estimatedGas };
  }
  if (signal.aborted) return { kind: "interrupted", target: task.target, quorums, tries: tryNumber - 1 };
  const gasLimit = (estimatedGas * BigInt(100 + options.gasMarginPercent)) / 100n;
  const sendStarted = Date.now();
  const txHash = await prepared.send(gasLimit);
  log.info({ txHash, operators, stale: prepared.stale.length, gasLimit: gasLimit.toString() }, "update sent");
  // The writer timeout covers the send and the receipt wait together.
  const receiptBudgetMs = Math.max(1_000, options.writerTimeoutMs - (Date.now() - sendStarted));
  let outcome: TxOutcome;
  try {
    outcome = await chain.waitForOutcome(txHash, receiptBudgetMs, signal);
  } catch (error) {
    if (!(error instanceof ReceiptWaitAbortedError)) throw error;
    log.warn(
      { txHash },
      "stopped while waiting for the update's receipt: its outcome is unknown (it may still be mined)",
    );
    return { kind: "interrupted", target: task.target, quorums, tries: tryNumber - 1, txHash };
  }
  if (outcome.status === "reverted") {
    metrics.reverted();
    throw new TxRevertedError(txHash, outcome.blockNumber, task.target);
  }
  metrics.attempt("succeed", quorums);
  for (const quorum of quorums) {
    metrics.operatorsUpdated(quorum, operators);
    if (prepared.full) metrics.fullUpdateAt(quorum, outcome.timestamp);
  }
  log.info(
    { txHash, blockNumber: outcome.blockNumber.toString(), gasUsed: outcome.gasUsed.toString(), operators },
    "stakes updated",
  );
  return {
    kind: "updated",
    target: task.target,
    quorums,
    tries: tryNumber,
    operators,
    staleOperators: prepared.stale.length,
    txHash,
    blockNumber: outcome.blockNumber,
    gasUsed: outcome.gasUsed,
  };
}

/**
 * One update with up to `tries` tries. Each try re-reads the operator set (a registration
 * between our read and our write makes the old list incomplete and the transaction revert),
 * waits for the receipt, and counts a revert as a failure; failed tries back off exponentially.
 */
async function runUpdate(
  task: UpdateTask,
  refresh: boolean,
  options: SyncOptions,
  deps: SyncDeps,
): Promise<UpdateResult> {
  let quorums = task.knownQuorums;
  let tries = 0;
  try {
    return await retry(
      async (tryNumber) => {
        tries = tryNumber;
        try {
          return await tryUpdate(task, tryNumber, refresh, options, deps, (q) => {
            quorums = q;
          });
        } catch (error) {
          deps.metrics.attempt("error", quorums);
          throw error;
        }
      },
      retryOptions(options, deps, ({ failedTry, error, delayMs }) =>
        deps.logger
          .child({ target: task.target, try: failedTry, tries: options.tries })
          .warn({ err: asError(error), delayMs }, "update try failed; retrying after backoff"),
      ),
    );
  } catch (caught) {
    const error = asError(caught);
    // A stop before the first try or during a backoff: `tries` failed tries happened first.
    if (
      caught instanceof RetryAbortedError ||
      (deps.signal.aborted && tries < options.tries && !isFinal(caught))
    ) {
      return { kind: "interrupted", target: task.target, quorums, tries };
    }
    deps.logger
      .child({ target: task.target, try: tries, tries: options.tries })
      .error({ err: error }, `${task.target}: update failed after ${tries} ${tries === 1 ? "try" : "tries"}`);
    return { kind: "failed", target: task.target, quorums, tries, error };
  }
}

/** One sync run: every target, one transaction each, in order. Never throws for chain trouble. */
export async function runSync(
  targets: SyncTargets,
  options: SyncOptions,
  deps: SyncDeps,
): Promise<SyncReport> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const results: UpdateResult[] = [];
  let tasks: UpdateTask[] | undefined;
  try {
    tasks = await resolveTasks(targets, options, deps);
  } catch (error) {
    const err = asError(error);
    deps.logger.error({ err }, "sync run failed before any update");
    return { results, notStarted: [], error: err, interrupted: false, startedAt, finishedAt: now() };
  }
  if (tasks === undefined) {
    return { results, notStarted: [], interrupted: true, startedAt, finishedAt: now() };
  }
  const due =
    targets.kind === "quorums"
      ? await refreshDue(
          tasks.flatMap((t) => t.knownQuorums),
          options,
          deps,
        )
      : new Set<number>();
  for (const [index, task] of tasks.entries()) {
    if (deps.signal.aborted) {
      return {
        results,
        notStarted: tasks.slice(index).map((t) => t.target),
        interrupted: true,
        startedAt,
        finishedAt: now(),
      };
    }
    const refresh = task.knownQuorums.some((quorum) => due.has(quorum));
    const result = await runUpdate(task, refresh, options, deps);
    results.push(result);
  }
  const interrupted = results.some((r) => r.kind === "interrupted");
  return { results, notStarted: [], interrupted, startedAt, finishedAt: now() };
}
