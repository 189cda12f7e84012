import type { Hex } from "viem";
import type { DowntimeDb, EventRow } from "./db.js";
import { type EpochConfig, epochBounds } from "./epochs.js";

/**
 * The answers, computed from the rows up to one log index only, so two replicas at the same index
 * give the same bytes. Time inside the log is the log's clock (the newest observation applied):
 * an outage still open counts up to it, or to the epoch's end once the log's clock has passed it.
 */

export interface OperatorEpochAnswer {
  readonly asOfIndex: number;
  readonly operator: Hex;
  readonly epoch: number;
  readonly epochStart: number;
  readonly epochEnd: number;
  readonly downEvents: number;
  readonly downtimeMs: number;
  /** Down at the log's clock, with no up event yet. */
  readonly downNow: boolean;
  readonly events: readonly { index: number; state: string; observedAt: number }[];
}

export interface EpochAnswer {
  readonly asOfIndex: number;
  readonly epoch: number;
  readonly epochStart: number;
  readonly epochEnd: number;
  /** Every operator the log knows as of the index (see DowntimeDb.operators), most downtime first (ties by id). */
  readonly operators: readonly { operator: Hex; downEvents: number; downtimeMs: number; downNow: boolean }[];
}

function summarize(events: readonly EventRow[], start: number, end: number, clock: number) {
  let downtimeMs = 0;
  let downSince: number | undefined;
  let downEvents = 0;
  const inEpoch: { index: number; state: string; observedAt: number }[] = [];
  for (const e of events) {
    if (e.observedAt >= start && e.observedAt < end) {
      inEpoch.push({ index: e.index, state: e.state, observedAt: e.observedAt });
      if (e.state === "down") downEvents++;
    }
    if (e.state === "down") downSince = e.observedAt;
    else if (downSince !== undefined) {
      downtimeMs += Math.max(0, Math.min(e.observedAt, end) - Math.max(downSince, start));
      downSince = undefined;
    }
  }
  if (downSince !== undefined) downtimeMs += Math.max(0, Math.min(clock, end) - Math.max(downSince, start));
  return { downtimeMs, downEvents, downNow: downSince !== undefined, events: inEpoch };
}

export function operatorEpoch(
  db: DowntimeDb,
  epochs: EpochConfig,
  operator: Hex,
  epoch: number,
  asOfIndex: number,
): OperatorEpochAnswer {
  const { start, end } = epochBounds(epochs, epoch);
  const s = summarize(db.events(asOfIndex, operator), start, end, db.logClock(asOfIndex));
  return {
    asOfIndex,
    operator,
    epoch,
    epochStart: start,
    epochEnd: end,
    downEvents: s.downEvents,
    downtimeMs: s.downtimeMs,
    downNow: s.downNow,
    events: s.events,
  };
}

export function epochSummary(
  db: DowntimeDb,
  epochs: EpochConfig,
  epoch: number,
  asOfIndex: number,
): EpochAnswer {
  const { start, end } = epochBounds(epochs, epoch);
  const clock = db.logClock(asOfIndex);
  const all = db.events(asOfIndex);
  const operators = db
    .operators(asOfIndex)
    .map((m) => {
      const s = summarize(
        all.filter((e) => e.subject === m.operatorId),
        start,
        end,
        clock,
      );
      return {
        operator: m.operatorId,
        downEvents: s.downEvents,
        downtimeMs: s.downtimeMs,
        downNow: s.downNow,
      };
    })
    .sort((a, b) => b.downtimeMs - a.downtimeMs || (a.operator < b.operator ? -1 : 1));
  return { asOfIndex, epoch, epochStart: start, epochEnd: end, operators };
}
