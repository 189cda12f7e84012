import { connect } from "node:net";

/** The first HTTP response read back from a raw connection. */
export interface RawHttpReply {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body parsed as JSON, or the text when it is not JSON. */
  readonly body: unknown;
}

export interface RawHttpOptions {
  readonly host?: string;
  /** The client's own address: 127.0.0.2, 127.0.0.3, … are other clients on Linux loopback. */
  readonly localAddress?: string;
  /** Pause between chunks (a client trickling its request). */
  readonly gapMs?: number;
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
}

const HEAD_END = "\r\n\r\n";

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The response in `bytes` once it is complete: the head, and the body by Content-Length or to the end. */
function completeReply(bytes: Buffer, ended: boolean): RawHttpReply | undefined {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const [statusLine = "", ...lines] = bytes.subarray(0, headEnd).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(headEnd + HEAD_END.length);
  const length = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
  if (length === undefined ? !ended : rest.length < length) return undefined;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, headers, body: parseBody(rest.subarray(0, length).toString("utf8")) };
}

/**
 * Sends bytes exactly as given on a fresh TCP connection, for what an HTTP client will not send
 * (no Host header, a malformed request line, oversized or trickled headers, a body that never
 * ends), and reads the first response. Settles with the reply, or `{ error }` when the connection
 * ends without one (`ECONNRESET`, `closed without a response`, `timed out`); never rejects.
 * Chunks stop being sent once the server has answered.
 */
export function rawHttp(
  port: number,
  chunks: string | readonly string[],
  options: RawHttpOptions = {},
): Promise<RawHttpReply | { readonly error: string }> {
  const parts = typeof chunks === "string" ? [chunks] : chunks;
  return new Promise((resolve) => {
    const socket = connect({
      host: options.host ?? "127.0.0.1",
      port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: RawHttpReply | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ error: "timed out" }), options.timeoutMs ?? 10_000);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const reply = completeReply(received, false);
      if (reply) settle(reply);
    });
    socket.on("end", () => settle(completeReply(received, true) ?? { error: "closed without a response" }));
    socket.on("error", (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
    socket.on("connect", async () => {
      for (const part of parts) {
        if (settled || received.length > 0) return;
        socket.write(part);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}
