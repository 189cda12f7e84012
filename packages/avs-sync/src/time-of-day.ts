import { InvalidTimeOfDayError } from "./errors.js";

/** A time of day on the UTC clock. */
export interface TimeOfDay {
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const DAY_MS = 86_400_000;

/** Parses "HH:MM:SS" (24-hour clock); anything else throws InvalidTimeOfDayError before any use. */
export function parseTimeOfDay(text: string): TimeOfDay {
  const match = /^(\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) throw new InvalidTimeOfDayError(text);
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (hours > 23 || minutes > 59 || seconds > 59) throw new InvalidTimeOfDayError(text);
  return { hours, minutes, seconds };
}

export function formatTimeOfDay(time: TimeOfDay): string {
  return [time.hours, time.minutes, time.seconds].map((n) => String(n).padStart(2, "0")).join(":");
}

/**
 * The next instant at which the UTC clock shows `time`, strictly after `now` unless `now` is
 * exactly that instant: today if it is still ahead, otherwise tomorrow. Computed on the UTC
 * calendar whatever the process's time zone (the Go worker used local time here).
 */
export function nextUtcOccurrence(now: Date, time: TimeOfDay): Date {
  const today = Date.UTC(
    now.getUTCFullYear(),
    now.getUTCMonth(),
    now.getUTCDate(),
    time.hours,
    time.minutes,
    time.seconds,
  );
  return new Date(today >= now.getTime() ? today : today + DAY_MS);
}
