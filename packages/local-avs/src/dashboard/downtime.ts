import type { DowntimeView } from "./model.js";

/**
 * Where the downtime panel's figures come from. The downtime-log service (packages/downtime-log)
 * answers per operator, for the current epoch, its down events and total downtime as of a log
 * index; `httpDowntimeSource` reads that from a replica's HTTP API: the devnet's own replicas
 * (`npm start` runs one per operator), or the one `--downtime-log-url` names. Before any answers,
 * or with none running, the panel says "not running" (`notRunningDowntimeSource`).
 */
export interface DowntimeSource {
  /** One reading; should not throw (an unreachable service is a state, not an error). */
  read(signal: AbortSignal): Promise<DowntimeView>;
}

/** No downtime-log service in this devnet: the panel says so. */
export function notRunningDowntimeSource(reason = "no downtime-log replica answers yet"): DowntimeSource {
  const view: DowntimeView = { state: "not-running", reason };
  return { read: async () => view };
}

/** One operator of the downtime log's epoch answer (`GET /v1/epochs/:epoch`, branch `downtime`). */
interface EpochAnswerOperator {
  readonly operator: string;
  readonly downEvents: number;
  readonly downtimeMs: number;
  readonly downNow: boolean;
}

function isEpochAnswer(
  value: unknown,
): value is { asOfIndex: number; epoch: number; operators: EpochAnswerOperator[] } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v.asOfIndex) &&
    Number.isSafeInteger(v.epoch) &&
    Array.isArray(v.operators) &&
    v.operators.every(
      (o: unknown) =>
        typeof o === "object" &&
        o !== null &&
        typeof (o as EpochAnswerOperator).operator === "string" &&
        Number.isSafeInteger((o as EpochAnswerOperator).downEvents) &&
        Number.isFinite((o as EpochAnswerOperator).downtimeMs) &&
        typeof (o as EpochAnswerOperator).downNow === "boolean",
    )
  );
}

export interface HttpDowntimeSourceOptions {
  /** Base URL of a downtime-log replica, e.g. http://127.0.0.1:8093. */
  readonly url: string;
  /** operatorId (lower case) → the name the dashboard shows. */
  readonly names?: ReadonlyMap<string, string>;
  readonly timeoutMs?: number;
}

/**
 * A downtime-log replica's answer for the current epoch, `GET /v1/epochs/current` of its read API
 * (packages/downtime-log/src/http.ts on branch `downtime`): per operator its down events, total
 * downtime and whether it is down now, as of the log index the replica has applied.
 */
export function httpDowntimeSource(options: HttpDowntimeSourceOptions): DowntimeSource {
  const base = options.url.replace(/\/+$/, "");
  return {
    async read(signal) {
      const url = `${base}/v1/epochs/current`;
      try {
        const reply = await fetch(url, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 900)]),
        });
        if (!reply.ok) {
          await reply.body?.cancel();
          return { state: "unreachable", url: base, error: `HTTP ${reply.status}` };
        }
        const answer: unknown = await reply.json();
        if (!isEpochAnswer(answer))
          return { state: "unreachable", url: base, error: "the answer is not a downtime-log epoch answer" };
        return {
          state: "ok",
          url: base,
          epoch: String(answer.epoch),
          asOfIndex: String(answer.asOfIndex),
          operators: answer.operators.map((o) => ({
            operator: options.names?.get(o.operator.toLowerCase()) ?? o.operator,
            downEvents: o.downEvents,
            totalDowntimeMs: o.downtimeMs,
            downNow: o.downNow,
          })),
        };
      } catch (error) {
        // fetch's own message is "fetch failed": the cause says what (ECONNREFUSED, a timeout).
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return {
          state: "unreachable",
          url: base,
          error: cause?.code ?? cause?.message ?? (error as Error).message,
        };
      }
    },
  };
}
