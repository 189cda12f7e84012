/**
 * The operator's side of the aggregator's HTTP API: `POST /v1/sessions` to log in, then
 * `POST /v1/tasks/:taskIndex/responses` with the session's bearer token and a JSON body; 2xx
 * means counted (`duplicate: true` when the aggregator already had this very response), 4xx/5xx
 * carry `{code, message, retryable}`.
 */
import type { Hex } from "viem";
import { isRejectionCode, REJECTIONS } from "./rejections.js";
import {
  createSessionRequest,
  type MessageSigner,
  type SessionDomain,
  type SessionGrant,
  type SessionRequestBody,
} from "./session.js";

export interface Rejected {
  readonly kind: "rejected";
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface Unreachable {
  readonly kind: "unreachable";
  readonly message: string;
}

export type SendOutcome =
  | {
      readonly kind: "accepted";
      readonly status: number;
      /** The aggregator already had this exact response from this operator (a retry): counted once. */
      readonly duplicate: boolean;
    }
  | Rejected
  | Unreachable;

export type LoginOutcome = ({ readonly kind: "session" } & SessionGrant) | Rejected | Unreachable;

/** Statuses that mean "not now, maybe later" when a reply carries no known code (a proxy's page, say). */
const RETRYABLE_STATUSES = new Set([404, 408, 425, 429, 500, 502, 503, 504]);

export function responseUrl(aggregatorUrl: string, taskIndex: number): string {
  return `${aggregatorUrl.replace(/\/+$/, "")}/v1/tasks/${taskIndex}/responses`;
}

export function sessionsUrl(aggregatorUrl: string): string {
  return `${aggregatorUrl.replace(/\/+$/, "")}/v1/sessions`;
}

interface ErrorReply {
  code?: unknown;
  message?: unknown;
  retryable?: unknown;
  error?: unknown;
}

/** Reads `{code, message, retryable}` (or a nested `{error: {...}}`) from an error reply. */
export function classifyReply(status: number, text: string): SendOutcome {
  if (status >= 200 && status < 300) {
    return { kind: "accepted", status, duplicate: parseObject(text)?.duplicate === true };
  }
  return classifyRefusal(status, text);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function classifyRefusal(status: number, text: string): Rejected {
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

/** One POST of a JSON body, bounded in time; never throws. */
async function postJson(
  url: string,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal | undefined; token?: string | undefined },
): Promise<{ readonly status: number; readonly text: string } | Unreachable> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  try {
    const reply = await fetch(url, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal,
    });
    return { status: reply.status, text: await reply.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    return { kind: "unreachable", message: cause ? `${message} (${cause})` : message };
  }
}

/** One signed response, with the session's token when given; bounded in time, never throws. */
export async function postSignedResponse(
  aggregatorUrl: string,
  taskIndex: number,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal; token?: string },
): Promise<SendOutcome> {
  const reply = await postJson(responseUrl(aggregatorUrl, taskIndex), body, options);
  return "kind" in reply ? reply : classifyReply(reply.status, reply.text);
}

/** One login (`POST /v1/sessions`); bounded in time, never throws. */
export async function postSessionRequest(
  aggregatorUrl: string,
  body: SessionRequestBody,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<LoginOutcome> {
  const reply = await postJson(sessionsUrl(aggregatorUrl), body, options);
  if ("kind" in reply) return reply;
  if (reply.status !== 201) return classifyRefusal(reply.status, reply.text);
  const grant = parseObject(reply.text);
  if (typeof grant?.token !== "string" || typeof grant.expiresAt !== "number") {
    return {
      kind: "unreachable",
      message: `the login reply is not {token, expiresAt}: ${reply.text.slice(0, 100)}`,
    };
  }
  return { kind: "session", token: grant.token, expiresAt: grant.expiresAt };
}

/** Why the client logged in: none yet, its token was about to expire, or the aggregator refused it. */
export type LoginReason = "first" | "renew" | "refused";

export interface AggregatorSessionOptions {
  readonly aggregatorUrl: string;
  readonly operatorId: Hex;
  /** The operator's registered ECDSA key. */
  readonly signer: MessageSigner;
  readonly domain: SessionDomain;
  /** Told of every successful login (never of the token itself), e.g. to log it. */
  readonly onLogin?: (info: { readonly expiresAt: number; readonly reason: LoginReason }) => void;
  /** A token this close to its expiry is renewed before use (default 60 s). */
  readonly renewBeforeMs?: number;
  readonly now?: () => number;
}

/**
 * An operator's session with the aggregator: logs in lazily before the first response, renews
 * the token before it expires, and when the aggregator refuses a token it had been using (it
 * restarted, or the token expired) logs in again and resends once. Concurrent sends share one
 * login. The caller's retry loop handles everything else.
 */
export class AggregatorSession {
  readonly #options: AggregatorSessionOptions;
  readonly #now: () => number;
  #grant: SessionGrant | undefined;
  #loggingIn: Promise<LoginOutcome> | undefined;

  constructor(options: AggregatorSessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Posts one signed response under the session, logging in first when needed; never throws. */
  async postSignedResponse(
    taskIndex: number,
    body: unknown,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<SendOutcome> {
    const renewBeforeMs = this.#options.renewBeforeMs ?? 60_000;
    let grant = this.#grant;
    let fresh = false;
    if (grant === undefined || grant.expiresAt * 1000 - this.#now() < renewBeforeMs) {
      const login = await this.#login(grant === undefined ? "first" : "renew", options);
      if (login.kind !== "session") return login;
      grant = login;
      fresh = true;
    }
    const post = (token: string) =>
      postSignedResponse(this.#options.aggregatorUrl, taskIndex, body, { ...options, token });
    let outcome = await post(grant.token);
    if (outcome.kind === "rejected" && outcome.code === "UNAUTHENTICATED") {
      this.#forget(grant);
      if (fresh) {
        // A token just granted and refused already (the aggregator restarted in between):
        // the next try logs in again.
        return { ...outcome, retryable: true };
      }
      const login = await this.#login("refused", options);
      if (login.kind !== "session") return login;
      outcome = await post(login.token);
      if (outcome.kind === "rejected" && outcome.code === "UNAUTHENTICATED") {
        this.#forget(login);
        return { ...outcome, retryable: true };
      }
    }
    return outcome;
  }

  #forget(grant: SessionGrant): void {
    if (this.#grant === grant) this.#grant = undefined;
  }

  #login(reason: LoginReason, options: { timeoutMs: number; signal?: AbortSignal }): Promise<LoginOutcome> {
    this.#loggingIn ??= (async () => {
      try {
        const { signer, domain, operatorId, aggregatorUrl } = this.#options;
        const request = await createSessionRequest(signer, domain, operatorId, { nowMs: this.#now() });
        const outcome = await postSessionRequest(aggregatorUrl, request, options);
        if (outcome.kind === "session") {
          this.#grant = { token: outcome.token, expiresAt: outcome.expiresAt };
          this.#options.onLogin?.({ expiresAt: outcome.expiresAt, reason });
        }
        return outcome;
      } finally {
        this.#loggingIn = undefined;
      }
    })();
    return this.#loggingIn;
  }
}
