import { Writable } from "node:stream";
import { createLogger, type Logger } from "@avskit/runtime";

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [field: string]: unknown;
}

/** A JSON logger whose lines the test can read back. */
export function captureLogs(name: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ name, level: "debug", destination: stream }), lines };
}

/** Polls `predicate` until it holds or `timeoutMs` passes. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
