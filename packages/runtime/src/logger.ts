import { type Logger, pino } from "pino";
import { opt } from "./schemas.js";

export type { Logger } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  readonly name: string;
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Where JSON lines go; stdout by default. Tests pass a stream to read them. */
  readonly destination?: NodeJS.WritableStream;
}

/** Fields that must never reach a log line, wherever they are nested. */
const REDACTED_PATHS = [
  "privateKey",
  "password",
  "secretKey",
  "*.privateKey",
  "*.password",
  "*.secretKey",
  "*.*.privateKey",
  "*.*.password",
];

/** JSON lines (the default, for machines) or a human format for a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    name: options.name,
    level: options.level ?? "info",
    redact: { paths: REDACTED_PATHS, censor: "<redacted>" },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  if (options.format === "pretty") {
    return pino({
      ...base,
      transport: {
        target: "pino-pretty",
        options: { colorize: process.stdout.isTTY, translateTime: "SYS:HH:MM:ss" },
      },
    });
  }
  // stdout is written synchronously: pino's default writes asynchronously through libuv's thread
  // pool, and the services end with process.exit, whose synchronous flush can then put the last
  // lines before one still queued (a final "stopped" line came out before "shutting down").
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** The logging flags every service takes. */
export const loggingOptions = {
  logLevel: {
    flag: "--log-level",
    value: "level",
    description: `log level: ${LOG_LEVELS.join(", ")}`,
    schema: opt.enum(LOG_LEVELS),
    default: "info",
  },
  logFormat: {
    flag: "--log-format",
    value: "format",
    description: "json (one object per line) or pretty (for a terminal)",
    schema: opt.enum(["json", "pretty"]),
    default: "json",
  },
} as const;
