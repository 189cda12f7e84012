import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import Fastify, {
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "pino";
import { ConnectionLimit } from "./connection-limit.js";
import { type RateLimit, TokenBuckets } from "./token-bucket.js";

/**
 * The body of every refusal a service's HTTP endpoint sends: clients branch on `code`, retry
 * when `retryable`, and show `message`.
 */
export interface ErrorReply {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/**
 * Every way an avskit HTTP endpoint refuses a request on its own, before or beside its routes,
 * with the status and retry flag it has unless the app words it otherwise (`refusal`).
 */
export const HTTP_REFUSALS = {
  /** The path cannot be decoded (a lone `%`, say). */
  BAD_URL: { status: 400, retryable: false },
  /** A path parameter is longer than the app allows. */
  URI_TOO_LONG: { status: 414, retryable: false },
  /** Not HTTP/1.x that Node's parser accepts: request line, header syntax, lengths, CONNECT. */
  MALFORMED_REQUEST: { status: 400, retryable: false },
  /** An HTTP/1.1 request without a Host header. */
  MISSING_HOST: { status: 400, retryable: false },
  /** An `Expect` header other than `100-continue`. */
  EXPECTATION_FAILED: { status: 417, retryable: false },
  /** The request line and headers are larger than Node accepts (16 KiB). */
  HEADERS_TOO_LARGE: { status: 431, retryable: false },
  /** The headers did not arrive within the headers timeout, or the whole request within the request timeout. */
  REQUEST_TIMEOUT: { status: 408, retryable: true },
  /** No route for this method and path. */
  ROUTE_NOT_FOUND: { status: 404, retryable: false },
  /** The body is larger than the app's limit. */
  BODY_TOO_LARGE: { status: 413, retryable: false },
  /** The body's content type is not one the app parses. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  /** The framework could not read the body: bad JSON, prototype poisoning, a wrong length. */
  INVALID_REQUEST: { status: 400, retryable: false },
  /** The client's address sent more requests than its rate limit lets through. */
  RATE_LIMITED: { status: 429, retryable: true },
  /** Every connection the server holds is serving a request. */
  TOO_MANY_CONNECTIONS: { status: 503, retryable: true },
  /** The server drains before it stops. */
  SHUTTING_DOWN: { status: 503, retryable: true },
  /** A bug on the server's side. */
  INTERNAL: { status: 500, retryable: true },
} as const satisfies Readonly<Record<string, { status: number; retryable: boolean }>>;

export type HttpRefusalKind = keyof typeof HTTP_REFUSALS;

/** A refusal as it goes out: the status and the body. */
export interface Refusal {
  readonly status: number;
  readonly body: ErrorReply;
}

/** How an app words the refusals of HTTP_REFUSALS: its code, status and retry flag for each kind. */
export type RefusalShape = (kind: HttpRefusalKind, message: string) => Refusal;

/** The default wording: the kind is the code, with HTTP_REFUSALS' status and retry flag. */
export const defaultRefusalShape: RefusalShape = (kind, message) => ({
  status: HTTP_REFUSALS[kind].status,
  body: { code: kind, message, retryable: HTTP_REFUSALS[kind].retryable },
});

/**
 * An error a route handler throws to refuse a request in its own terms (aggregator-api's
 * ResponseRejectedError is one): sent as it is, with its status.
 */
export interface RefusalError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export function isRefusalError(error: unknown): error is RefusalError {
  const e = error as Partial<RefusalError> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    typeof e.status === "number" &&
    e.status >= 400 &&
    e.status <= 599 &&
    typeof e.code === "string" &&
    typeof e.message === "string" &&
    typeof e.retryable === "boolean"
  );
}

/** The limits every avskit HTTP endpoint has; defaults an honest client never meets. */
export interface HttpLimits {
  /** Per client address (token bucket); `false` lets every request through. */
  readonly rateLimit: RateLimit | false;
  /** Connections held open at once (see ConnectionLimit: the longest idle one makes room first). */
  readonly maxConnections: number;
  /** Longest the request line and headers may take to arrive. */
  readonly headersTimeoutMs: number;
  /** Longest the whole request, body included, may take to arrive (≥ the headers timeout). */
  readonly requestTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  // Every operator of `npm start` comes from 127.0.0.1, each posting one response per task.
  rateLimit: { perSecond: 200, burst: 400 },
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
};

export interface HttpAppOptions extends Partial<HttpLimits> {
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Longest path parameter (default 100 characters); longer ones are refused URI_TOO_LONG. */
  readonly maxParamLength?: number;
  /** How the app words its refusals (default: defaultRefusalShape). */
  readonly refusal?: RefusalShape;
  /** Sees every refusal sent, route handlers' and connections' refused at the limit included (metrics). */
  readonly onRefused?: (refusal: Refusal) => void;
  /** Where an unexpected error in a handler is logged (it is answered INTERNAL). */
  readonly logger?: Logger;
}

export interface RunningServer {
  /** The URL it listens on, e.g. http://127.0.0.1:9090 (port resolved when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /**
   * Stops taking work without resetting anyone: requests in progress finish, requests that
   * arrive meanwhile (including those already queued in the kernel's accept backlog) get a 503
   * in the service's error shape with `Connection: close`, and the listening socket closes once
   * no new connection has arrived for a moment (at most `maxDrainMs`). Idempotent.
   */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** How long without a new connection counts as "nobody is still arriving" (default 100 ms). */
  readonly quietMs?: number;
  /** Bound on the whole drain (default 3 s). */
  readonly maxDrainMs?: number;
}

/** Per-app drain state, set up by createHttpApp and used by listen. */
interface DrainState {
  draining: boolean;
  inFlight: number;
  lastConnectionAt: number;
  /** Sockets answered with a refusal that the client has not closed yet. */
  lingering: number;
  connections?: ConnectionLimit;
}

const drainStates = new WeakMap<FastifyInstance, DrainState>();

/** How long a refused connection is kept reading after its refusal, at most. */
const REFUSAL_LINGER_MS = 1_000;

function retryAfterSeconds(refusal: Refusal, waitMs: number | undefined): string | undefined {
  if (waitMs !== undefined) return String(Math.max(1, Math.ceil(waitMs / 1000)));
  return refusal.status === 503 ? "1" : undefined;
}

/** A whole HTTP/1.1 response carrying a refusal, for sockets the framework does not answer on. */
function rawResponse(refusal: Refusal): string {
  const body = JSON.stringify(refusal.body);
  const retryAfter = retryAfterSeconds(refusal, undefined);
  return [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Error"}`,
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    ...(retryAfter ? [`Retry-After: ${retryAfter}`] : []),
    "",
    body,
  ].join("\r\n");
}

const refusedSockets = new WeakSet<Socket>();

/**
 * Writes the refusal and ends the socket. It goes on reading (and dropping) what the client
 * still sends until the client closes, for a moment at most: closing with unread bytes would make
 * the kernel answer with a reset, and the client would never read the refusal.
 */
function refuseOnSocket(socket: Socket, refusal: Refusal, state: DrainState): boolean {
  if (refusedSockets.has(socket) || socket.destroyed) return false;
  refusedSockets.add(socket);
  state.lingering++;
  socket.once("close", () => {
    state.lingering--;
  });
  socket.on("error", () => socket.destroy());
  if (socket.writable) socket.end(rawResponse(refusal));
  socket.resume();
  socket.once("end", () => socket.destroy());
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  return true;
}

/** Whether a response has started on the socket (its status line is out: nothing may be written raw). */
function responseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return current?.headersSent === true;
}

function clientErrorKind(error: NodeJS.ErrnoException): HttpRefusalKind {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return "REQUEST_TIMEOUT";
  if (error.code === "HPE_HEADER_OVERFLOW") return "HEADERS_TOO_LARGE";
  return "MALFORMED_REQUEST";
}

function clientErrorMessage(kind: HttpRefusalKind, error: NodeJS.ErrnoException, limits: HttpLimits): string {
  switch (kind) {
    case "REQUEST_TIMEOUT":
      return `the request did not arrive in time (headers within ${limits.headersTimeoutMs} ms, all of it within ${limits.requestTimeoutMs} ms)`;
    case "HEADERS_TOO_LARGE":
      return "the request line and headers are too large";
    default: {
      const reason = (error as NodeJS.ErrnoException & { reason?: unknown }).reason;
      return `malformed HTTP request (${error.code ?? "parse error"}${typeof reason === "string" ? `: ${reason}` : ""})`;
    }
  }
}

function frameworkErrorKind(error: FastifyError): { kind: HttpRefusalKind; message: string } {
  const status = error.statusCode ?? 500;
  if (error.code === "FST_ERR_BAD_URL")
    return { kind: "BAD_URL", message: `the path cannot be decoded: ${error.message}` };
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH")
    return { kind: "URI_TOO_LONG", message: `a path parameter is too long: ${error.message.slice(0, 200)}` };
  if (status === 413) return { kind: "BODY_TOO_LARGE", message: error.message };
  if (status === 415) return { kind: "UNSUPPORTED_MEDIA_TYPE", message: error.message };
  if (status >= 400 && status < 500) return { kind: "INVALID_REQUEST", message: error.message };
  return { kind: "INTERNAL", message: "internal error" };
}

/**
 * A fastify app configured as every avskit HTTP endpoint is: no framework logging (the service
 * logs), bounded bodies and request times, prototype-poisoning refused, the limits of HttpLimits,
 * and one error shape for every refusal: the app's routes' (a thrown RefusalError), the
 * framework's (bad URL, parameter too long, no route, body too large or unparsable, wrong content
 * type) and Node's own (malformed HTTP, headers too large, request timeout, missing Host, an
 * unmet Expect, CONNECT), the rate limit's, the connection limit's and the drain's, each as
 * `refusal` words it. Routes are added by the caller before `listen`, whose close drains.
 */
export function createHttpApp(options: HttpAppOptions = {}): FastifyInstance {
  const limits: HttpLimits = {
    rateLimit: options.rateLimit ?? DEFAULT_HTTP_LIMITS.rateLimit,
    maxConnections: options.maxConnections ?? DEFAULT_HTTP_LIMITS.maxConnections,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs,
  };
  for (const key of ["headersTimeoutMs", "requestTimeoutMs", "keepAliveTimeoutMs"] as const) {
    if (!Number.isInteger(limits[key]) || limits[key] < 1)
      throw new RangeError(`${key} must be a whole number of milliseconds ≥ 1 (got ${limits[key]})`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new RangeError(
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  const shape = options.refusal ?? defaultRefusalShape;
  const onRefused = options.onRefused ?? (() => {});
  const buckets = limits.rateLimit === false ? undefined : new TokenBuckets(limits.rateLimit);
  const state: DrainState = { draining: false, inFlight: 0, lastConnectionAt: 0, lingering: 0 };

  const refuseRaw = (socket: Socket, kind: HttpRefusalKind, message: string): void => {
    const refusal = shape(kind, message);
    if (refuseOnSocket(socket, refusal, state)) onRefused(refusal);
  };
  const drainingMessage = "the service is shutting down; try another instance or again shortly";

  const serverOptions: FastifyHttpOptions<Server> = {
    logger: false,
    bodyLimit: options.bodyLimit ?? 65_536,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node looks for timed-out requests this often (30 s by default, which would stretch a
      // 10 s headers timeout to 40).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      // Node would answer a missing Host itself, with an empty body; the onRequest hook does.
      requireHostHeader: false,
    },
    // Our own 503 (in the service's error shape) answers requests while draining; fastify's
    // plain one would also be sent after close() began, to requests on kept-alive connections.
    return503OnClosing: false,
    // listen's close lets every connection go first (ConnectionLimit.drain), without resets.
    forceCloseConnections: false,
    routerOptions: { maxParamLength: options.maxParamLength ?? 100 },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      // A socket already refused lingers until its client has read the refusal.
      if (error.code === "ECONNRESET" || socket.destroyed || refusedSockets.has(socket)) return;
      if (!socket.writable || responseStarted(socket)) {
        socket.destroy();
        return;
      }
      const kind = clientErrorKind(error);
      refuseRaw(socket, kind, clientErrorMessage(kind, error, limits));
    },
    frameworkErrors: (error, request, reply) => {
      if (refusedSockets.has(request.raw.socket)) return void reply.hijack();
      const refused = admit(request);
      if (refused) return void sendRefusal(reply, refused.refusal, refused);
      const { kind, message } = frameworkErrorKind(error);
      void sendRefusal(reply, shape(kind, message));
    },
  };
  const app = Fastify(serverOptions);
  drainStates.set(app, state);
  const server = app.server as Server;

  state.connections = new ConnectionLimit(server, limits.maxConnections, {
    arrived: () => {
      state.lastConnectionAt = Date.now();
    },
    refuse: (socket) =>
      refuseRaw(
        socket,
        "TOO_MANY_CONNECTIONS",
        `all ${limits.maxConnections} connections are serving requests; retry shortly`,
      ),
    evict: (socket) =>
      refuseRaw(
        socket,
        "TOO_MANY_CONNECTIONS",
        `closed to make room: ${limits.maxConnections} connections are open and this one was idle the longest`,
      ),
    drained: (socket) => {
      // A socket just answered "Connection: close" is closing already: nothing more is written.
      if (socket.writable) refuseRaw(socket, "SHUTTING_DOWN", drainingMessage);
    },
  });
  // Refused connections linger a moment each; beyond this many at once Node closes new ones
  // unread (counted below), so a flood of connections cannot exhaust the file descriptors.
  server.maxConnections = limits.maxConnections * 2;
  server.on("drop", () => {
    state.lastConnectionAt = Date.now();
    onRefused(shape("TOO_MANY_CONNECTIONS", "dropped unread: too many connections"));
  });
  server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) => {
    const refusal = shape(
      "EXPECTATION_FAILED",
      `Expect: ${String(request.headers.expect).slice(0, 100)} is not supported`,
    );
    const body = JSON.stringify(refusal.body);
    response.writeHead(refusal.status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      connection: "close",
    });
    response.end(body);
    onRefused(refusal);
  });
  server.on("connect", (_request: IncomingMessage, socket: Socket) =>
    refuseRaw(socket, "MALFORMED_REQUEST", "CONNECT is not served"),
  );

  interface Refused {
    readonly refusal: Refusal;
    readonly close?: boolean;
    readonly waitMs?: number;
  }

  /** Whether a request may go on to its route: the drain, the rate limit and the Host check. */
  const admit = (request: FastifyRequest): Refused | undefined => {
    if (state.draining) return { refusal: shape("SHUTTING_DOWN", drainingMessage), close: true };
    if (buckets) {
      const address = request.raw.socket.remoteAddress ?? "unknown";
      const waitMs = buckets.take(address);
      if (waitMs > 0) {
        const { perSecond, burst } = buckets.limit;
        return {
          refusal: shape(
            "RATE_LIMITED",
            `more than ${perSecond} requests per second (bursts of ${burst}) from ${address}; retry in ${waitMs} ms`,
          ),
          waitMs,
        };
      }
    }
    if (request.raw.httpVersion === "1.1" && request.headers.host === undefined)
      return { refusal: shape("MISSING_HOST", "an HTTP/1.1 request needs a Host header"), close: true };
    return undefined;
  };

  const sendRefusal = (
    reply: FastifyReply,
    refusal: Refusal,
    how: Omit<Refused, "refusal"> = {},
  ): FastifyReply => {
    reply.code(refusal.status).type("application/json; charset=utf-8");
    if (how.close || state.draining) reply.header("connection", "close");
    const retryAfter = retryAfterSeconds(refusal, how.waitMs);
    if (retryAfter) reply.header("retry-after", retryAfter);
    // A request cut off by Node (timed out) fails in the framework too ("aborted"): its client
    // was already answered on the socket, and nothing more reaches it.
    const socket = reply.raw.socket;
    if (socket && !socket.destroyed && socket.writable && !refusedSockets.has(socket)) onRefused(refusal);
    return reply.send(refusal.body);
  };

  app.addHook("onRequest", async (request, reply) => {
    // Parsed from a connection already answered with a refusal (closed to make room, or by the
    // drain): that answer is its answer, and nothing more may be written.
    if (refusedSockets.has(request.raw.socket)) return reply.hijack();
    const refused = admit(request);
    if (refused) return sendRefusal(reply, refused.refusal, refused);
    state.inFlight++;
    reply.raw.once("close", () => {
      state.inFlight--;
    });
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (state.draining) reply.header("connection", "close");
    return payload;
  });
  app.setNotFoundHandler((request, reply) =>
    sendRefusal(reply, shape("ROUTE_NOT_FOUND", `no route ${request.method} ${request.url.slice(0, 100)}`)),
  );
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (isRefusalError(error)) {
      return sendRefusal(reply, {
        status: error.status,
        body: { code: error.code, message: error.message, retryable: error.retryable },
      });
    }
    const { kind, message } = frameworkErrorKind(error);
    if (kind === "INTERNAL")
      options.logger?.error({ err: error }, "unexpected error while handling a request");
    return sendRefusal(reply, shape(kind, message));
  });
  return app;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts `app` on host:port and reports where it listens; a failure to bind is thrown. Apps made
 * by createHttpApp drain on close (see RunningServer.close); others are closed at once.
 */
export async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<RunningServer> {
  await app.listen({ host, port });
  const server = app.server as Server;
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  const state = drainStates.get(app);
  const quietMs = options.quietMs ?? 100;
  const maxDrainMs = options.maxDrainMs ?? 3_000;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (state) {
        state.draining = true;
        state.connections?.drain();
        const startedAt = Date.now();
        const deadline = startedAt + maxDrainMs;
        while (Date.now() < deadline) {
          // Quiet since the drain began, too: a connection the kernel has just completed is
          // accepted and answered, not reset by the listener closing under it.
          const quiet = Date.now() - Math.max(state.lastConnectionAt, startedAt) >= quietMs;
          const settled =
            state.inFlight === 0 && (state.connections?.held ?? 0) === 0 && state.lingering === 0;
          if (quiet && settled) break;
          await sleep(Math.max(1, Math.min(quietMs, 25)));
        }
      }
      await app.close();
    })();
    return closing;
  };
  return { url: `http://${host}:${boundPort}`, port: boundPort, close };
}
