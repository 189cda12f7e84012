import type { Member, PeerSigner } from "@avskit/sequencer-protocol";
import { Agent, type Dispatcher, request } from "undici";
import { PeerRequestError } from "./errors.js";

/** How a node talks to the other members: every request signed for its receiver. */
export interface PeerTransport {
  request(
    to: Member,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * HTTP to peers over kept-alive connections (undici). The body is serialised once, signed with
 * PeerSigner over exactly those bytes, and sent as they are; a refusal comes back as a
 * PeerRequestError carrying the status and the peer's `{code, …}` body.
 */
export class HttpPeers implements PeerTransport {
  readonly #signer: PeerSigner;
  readonly #agent: Dispatcher;
  readonly #defaultTimeoutMs: number;

  constructor(signer: PeerSigner, options: { timeoutMs?: number; connections?: number } = {}) {
    this.#signer = signer;
    this.#defaultTimeoutMs = options.timeoutMs ?? 5_000;
    this.#agent = new Agent({
      keepAliveTimeout: 4_000,
      connections: options.connections ?? 8,
      pipelining: 1,
    });
  }

  async request(
    to: Member,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const text = method === "GET" ? "" : JSON.stringify(body ?? {});
    const headers: Record<string, string> = this.#signer.headers(to.operatorId, method, path, text);
    if (method === "POST") headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#defaultTimeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let status: number;
    let raw: string;
    try {
      const response = await request(new URL(path, to.url), {
        method,
        headers,
        ...(method === "POST" ? { body: text } : {}),
        signal,
        dispatcher: this.#agent,
      });
      status = response.statusCode;
      raw = await response.body.text();
    } catch (error) {
      const name = (error as Error).name;
      throw new PeerRequestError(
        `${method} ${path} to ${to.url}: ${name === "TimeoutError" || name === "AbortError" ? "timed out or aborted" : (error as Error).message}`,
        undefined,
        undefined,
        { cause: error },
      );
    }
    let json: unknown;
    try {
      json = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    if (status < 200 || status > 299) {
      const refusal = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
      throw new PeerRequestError(
        `${method} ${path} to ${to.url}: ${status} ${String(refusal.code ?? "")} ${String(refusal.message ?? "")}`.trim(),
        status,
        refusal,
      );
    }
    return json;
  }

  /** Ends every connection; requests still in flight (the node has stopped) fail. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}
