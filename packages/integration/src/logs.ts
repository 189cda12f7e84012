import { Writable } from "node:stream";
import { createLogger, type Logger } from "@avskit/runtime";

/** One JSON log line as the services write them. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** A JSON logger (debug and up) whose lines the test reads back, and the stream behind it. */
export function captureLogs(name = "test"): { logger: Logger; lines: LogLine[]; stream: Writable } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ name, level: "debug", destination: stream }), lines, stream };
}

/**
 * Polls `probe` until it gives something other than undefined or false, and returns that; fails
 * naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Sum of a Prometheus metric's samples (all label sets) from a /metrics endpoint; 0 when absent. */
export async function readMetric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === name) total += Number(match[3]);
  }
  return total;
}
