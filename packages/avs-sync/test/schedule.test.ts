import { captureLogs } from "@avskit/integration";
import { backoffDelay } from "@avskit/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidTimeOfDayError } from "../src/errors.js";
import { nextRunAfter, runOnSchedule } from "../src/schedule.js";
import { syncService } from "../src/service.js";
import { settingsFrom } from "../src/settings.js";
import { nextUtcOccurrence, parseTimeOfDay } from "../src/time-of-day.js";

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe("--first-sync-time", () => {
  it("parses HH:MM:SS on a 24-hour clock and rejects anything else by name", () => {
    expect(parseTimeOfDay("00:00:00")).toEqual({ hours: 0, minutes: 0, seconds: 0 });
    expect(parseTimeOfDay("23:59:59")).toEqual({ hours: 23, minutes: 59, seconds: 59 });
    for (const bad of ["24:00:00", "12:60:00", "12:00:60", "3:00:00", "12:00", "noon", "12:00:00Z", ""]) {
      expect(() => parseTimeOfDay(bad), bad).toThrow(InvalidTimeOfDayError);
    }
  });

  it("is later today when still ahead on the UTC clock", () => {
    const now = new Date("2030-06-15T10:00:00Z");
    expect(nextUtcOccurrence(now, parseTimeOfDay("12:30:00")).toISOString()).toBe("2030-06-15T12:30:00.000Z");
  });

  it("is tomorrow when already past today, across month and year ends", () => {
    expect(
      nextUtcOccurrence(new Date("2030-06-15T13:00:00Z"), parseTimeOfDay("12:30:00")).toISOString(),
    ).toBe("2030-06-16T12:30:00.000Z");
    expect(
      nextUtcOccurrence(new Date("2030-12-31T23:00:00Z"), parseTimeOfDay("01:00:00")).toISOString(),
    ).toBe("2031-01-01T01:00:00.000Z");
  });

  it("is now when the clock shows exactly that time", () => {
    const now = new Date("2030-06-15T12:30:00Z");
    expect(nextUtcOccurrence(now, parseTimeOfDay("12:30:00")).getTime()).toBe(now.getTime());
  });

  it("does not depend on the process's time zone (the Go worker used local time)", () => {
    const now = new Date("2030-03-10T05:00:00Z");
    const time = parseTimeOfDay("06:00:00");
    const results = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati"].map((tz) => {
      process.env.TZ = tz;
      return nextUtcOccurrence(now, time).toISOString();
    });
    // Sanity check that TZ really changed local time in this process.
    process.env.TZ = "Asia/Kolkata";
    expect(new Date("2030-03-10T05:00:00Z").getHours()).toBe(10);
    expect(new Set(results)).toEqual(new Set(["2030-03-10T06:00:00.000Z"]));
  });
});

describe("scheduling", () => {
  it("starts the next run one interval after the last start, dropping slots a long run missed", () => {
    const start = new Date("2030-01-01T00:00:00Z");
    const hour = 3_600_000;
    expect(nextRunAfter(start, hour, new Date("2030-01-01T00:05:00Z")).toISOString()).toBe(
      "2030-01-01T01:00:00.000Z",
    );
    expect(nextRunAfter(start, hour, new Date("2030-01-01T02:30:00Z")).toISOString()).toBe(
      "2030-01-01T03:00:00.000Z",
    );
  });

  it("waits for the first sync time in UTC, runs, then every interval until stopped", async () => {
    let clock = new Date("2030-06-15T22:00:00Z").getTime();
    const waits: number[] = [];
    const runsAt: string[] = [];
    const controller = new AbortController();
    const runs = await runOnSchedule(
      { intervalMs: 3_600_000, firstSyncTime: parseTimeOfDay("01:30:00") },
      async () => {
        runsAt.push(new Date(clock).toISOString());
        clock += 60_000; // a run takes a minute
        if (runsAt.length === 3) controller.abort();
      },
      {
        signal: controller.signal,
        logger: captureLogs().logger,
        now: () => new Date(clock),
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      },
    );
    expect(runs).toBe(3);
    expect(runsAt).toEqual([
      "2030-06-16T01:30:00.000Z",
      "2030-06-16T02:30:00.000Z",
      "2030-06-16T03:30:00.000Z",
    ]);
    expect(waits).toEqual([3.5 * 3_600_000, 59 * 60_000, 59 * 60_000]);
  });

  it("runs once with interval 0", async () => {
    let count = 0;
    const runs = await runOnSchedule({ intervalMs: 0 }, async () => void count++, {
      signal: new AbortController().signal,
      logger: captureLogs().logger,
    });
    expect([runs, count]).toEqual([1, 1]);
  });
});

describe("backoff", () => {
  it("doubles from the initial wait up to the cap, without jitter (the defaults: 2s, 1m)", () => {
    const config = syncService.resolveConfig({ ethHttpUrl: "http://127.0.0.1:8545" });
    const policy = settingsFrom(config).options.backoff;
    // A random source that would shift any jittered wait: the schedule must not move.
    const random = () => 0.123;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, policy, random))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(() => backoffDelay(0, policy)).toThrow(RangeError);
  });
});
