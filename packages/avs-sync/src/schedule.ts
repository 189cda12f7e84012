import { sleep as abortableSleep, type Logger } from "@avskit/runtime";
import { formatTimeOfDay, nextUtcOccurrence, type TimeOfDay } from "./time-of-day.js";

export interface Schedule {
  /** Milliseconds between run starts; 0 runs once. */
  readonly intervalMs: number;
  /** Wait for this UTC time of day before the first run. */
  readonly firstSyncTime?: TimeOfDay;
}

export interface ScheduleDeps {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * When the run after one that started at `lastStart` should start: one interval later, or, if
 * the run overran, the next slot of the original grid still ahead (missed slots are dropped,
 * never run back to back).
 */
export function nextRunAfter(lastStart: Date, intervalMs: number, now: Date): Date {
  if (intervalMs <= 0) throw new RangeError("intervalMs must be positive");
  const behind = now.getTime() - lastStart.getTime();
  const slots = Math.max(1, Math.ceil(behind / intervalMs));
  return new Date(lastStart.getTime() + slots * intervalMs);
}

/**
 * Runs `run` on the schedule until the signal aborts: after the first sync time (if any), once at
 * once, then every interval. With interval 0, runs once. Returns how many runs completed.
 */
export async function runOnSchedule(
  schedule: Schedule,
  run: () => Promise<void>,
  deps: ScheduleDeps,
): Promise<number> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? abortableSleep;
  if (schedule.firstSyncTime !== undefined) {
    const first = nextUtcOccurrence(now(), schedule.firstSyncTime);
    deps.logger.info(
      { firstSyncAt: first.toISOString(), firstSyncTime: `${formatTimeOfDay(schedule.firstSyncTime)} UTC` },
      "waiting for the first sync time",
    );
    await sleep(Math.max(0, first.getTime() - now().getTime()), deps.signal);
  }
  let runs = 0;
  while (!deps.signal.aborted) {
    const startedAt = now();
    await run();
    runs++;
    if (schedule.intervalMs === 0 || deps.signal.aborted) break;
    const next = nextRunAfter(startedAt, schedule.intervalMs, now());
    deps.logger.info({ nextSyncAt: next.toISOString() }, "next sync scheduled");
    await sleep(Math.max(0, next.getTime() - now().getTime()), deps.signal);
  }
  return runs;
}
