/**
 * The operator's side of the aggregator's HTTP API: `POST /v1/tasks/:taskIndex/responses`
 * with a JSON body; 2xx means counted, 4xx/5xx carry `{code, message, retryable}`.
 */
import { isRejectionCode, REJECTIONS } from "./rejections.js";

export type SendOutcome =
  | { readonly kind: "accepted"; readonly status: number }
  | {
      readonly kind: "rejected";
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly retryable: boolean;
    }
  | { readonly kind: "unreachable"; readonly message: string };

/** Statuses that mean "not now, maybe later" when a reply carries no known code (a proxy's page, say). */
const RETRYABLE_STATUSES = new Set([404, 408, 425, 429, 500, 502, 503, 504]);

export function responseUrl(aggregatorUrl: string, taskIndex: number): string {
  return `${aggregatorUrl.replace(/\/+$/, "")}/v1/tasks/${taskIndex}/responses`;
}

interface ErrorReply {
  code?: unknown;
  message?: unknown;
  retryable?: unknown;
  error?: unknown;
}

/** Reads `{code, message, retryable}` (or a nested `{error: {...}}`) from an error reply. */
export function classifyReply(status: number, text: string): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "accepted", status };
  let reply: ErrorReply = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) {
      reply = parsed as ErrorReply;
      if (typeof reply.error === "object" && reply.error !== null) reply = reply.error as ErrorReply;
      else if (typeof reply.error === "string" && reply.code === undefined)
        reply = { ...reply, code: reply.error };
    }
  } catch {
    // Not JSON (a proxy's error page, say): classified by status alone.
  }
  const code = typeof reply.code === "string" ? reply.code : `HTTP_${status}`;
  const message = typeof reply.message === "string" ? reply.message : text.slice(0, 200);
  const retryable =
    typeof reply.retryable === "boolean"
      ? reply.retryable
      : isRejectionCode(code)
        ? REJECTIONS[code].retryable
        : RETRYABLE_STATUSES.has(status);
  return { kind: "rejected", status, code, message, retryable };
}

/** One POST, bounded in time; never throws. */
export async function postSignedResponse(
  aggregatorUrl: string,
  taskIndex: number,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<SendOutcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const reply = await fetch(responseUrl(aggregatorUrl, taskIndex), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal,
    });
    return classifyReply(reply.status, await reply.text());
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    return { kind: "unreachable", message: cause ? `${message} (${cause})` : message };
  }
}
