import type { Hex } from "viem";

/** A task as the aggregator tracks it, learnt from a `NewTaskCreated` event. */
export interface TaskInfo {
  readonly taskIndex: number;
  /** The task struct exactly as emitted, handed back to `respondToTask`. */
  readonly task: unknown;
  /** Quorums whose thresholds must all be met, ascending. */
  readonly quorumNumbers: readonly number[];
  readonly thresholdPercentage: number;
  /** The block the operator set and stakes are read at (the task's creation block). */
  readonly referenceBlock: bigint;
  /** The last block in which `respondToTask` is still accepted. */
  readonly lastResponseBlock: bigint;
  /** Block hash of the creation event, to tell reorged copies apart in logs. */
  readonly createdTxHash?: Hex;
  /** Wall-clock time (ms since epoch) the aggregator learnt of the task; start of the latency metric. */
  readonly seenAtMs: number;
}
