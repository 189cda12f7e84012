/** Middle value (mean of the two middle ones for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What a run did, as the last line of the summary prints it (one JSON object). */
export interface RunSummary {
  readonly tasks_created: number;
  readonly tasks_responded: number;
  readonly tasks_correct: number;
  readonly tasks_wrong: number;
  readonly tasks_expired: number;
  /** Created, and neither responded nor expired when the run stopped (each is named in the summary). */
  readonly tasks_open: number;
  readonly challenges_successful: number;
  readonly challenges_failed: number;
  readonly avs_sync_updates: number;
  /** From the block that created a task to the one that holds its response, as the devnet saw them. */
  readonly median_latency_ms: number | null;
  readonly max_latency_ms: number | null;
  readonly median_latency_blocks: number | null;
  readonly operators: number;
  readonly block_time_s: number;
  readonly runtime_s: number;
  /** Batches the sequencer acknowledged: one per created task, and one at start. */
  readonly sequencer_batches_sent: number;
  /** Highest finalized index any sequencer node reported (null when none answered). */
  readonly sequencer_finalized: number | null;
}
