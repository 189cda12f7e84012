/** One HTTP exchange with a node, bounded in time; the caller's abort is the only thing it throws. */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type Exchange =
  | { readonly kind: "reply"; readonly status: number; readonly text: string }
  | { readonly kind: "unreachable"; readonly message: string };

export interface ExchangeOptions {
  readonly method?: "GET" | "POST";
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export async function exchange(fetchFn: FetchLike, url: string, options: ExchangeOptions): Promise<Exchange> {
  options.signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const init: RequestInit = { method: options.method ?? "GET", signal };
  if (options.body !== undefined) {
    init.body = options.body;
    init.headers = { "content-type": "application/json" };
  }
  try {
    const reply = await fetchFn(url, init);
    return { kind: "reply", status: reply.status, text: await reply.text() };
  } catch (error) {
    options.signal?.throwIfAborted();
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = timeout.aborted ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    return { kind: "unreachable", message: cause ? `${message} (${cause})` : message };
  }
}

/** A refusal in the runtime's `{code, message, retryable}` shape, or what can be made of another reply. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export function refusalOf(status: number, text: string): Refusal {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page, say): classified by its status alone.
  }
  return {
    status,
    code: typeof body.code === "string" ? body.code : `HTTP_${status}`,
    message: typeof body.message === "string" ? body.message : text.slice(0, 200),
    // A 5xx is the node's trouble, not the request's: another node may take it.
    retryable: typeof body.retryable === "boolean" ? body.retryable : status >= 500 || status === 429,
  };
}
