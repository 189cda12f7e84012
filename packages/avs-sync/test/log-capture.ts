import { Writable } from "node:stream";
import { createLogger, type Logger } from "@avskit/runtime";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A JSON logger whose lines the test can read. */
export function captureLogs(): { lines: LogLine[]; logger: Logger; stream: Writable } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return {
    lines,
    stream,
    logger: createLogger({ name: "avs-sync-test", level: "debug", destination: stream }),
  };
}
