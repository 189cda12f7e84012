import type { Server } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from "fastify";

/**
 * The body of every refusal a service's HTTP endpoint sends: clients branch on `code`, retry
 * when `retryable`, and show `message`.
 */
export interface ErrorReply {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export interface HttpAppOptions {
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Longest a request may take to arrive in full (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Longest path parameter (default 100 characters). */
  readonly maxParamLength?: number;
  /** What a request that arrives while the server drains is told (503 with this body). */
  readonly drainingReply?: ErrorReply;
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

const DEFAULT_DRAINING_REPLY: ErrorReply = {
  code: "SHUTTING_DOWN",
  message: "the service is shutting down; try another instance or again shortly",
  retryable: true,
};

/** Per-app drain state, set up by createHttpApp and used by listen. */
interface DrainState {
  draining: boolean;
  inFlight: number;
  lastConnectionAt: number;
  readonly reply: ErrorReply;
}

const drainStates = new WeakMap<FastifyInstance, DrainState>();

function sendDraining(reply: FastifyReply, body: ErrorReply): FastifyReply {
  return reply.code(503).header("connection", "close").header("retry-after", "1").send(body);
}

/**
 * A fastify app configured as every avskit HTTP endpoint is: no framework logging (the service
 * logs), bounded bodies and request times, prototype-poisoning refused, and the draining
 * behaviour `listen(...).close()` relies on. Routes are added by the caller before `listen`.
 */
export function createHttpApp(options: HttpAppOptions = {}): FastifyInstance {
  const serverOptions: FastifyServerOptions = {
    logger: false,
    bodyLimit: options.bodyLimit ?? 65_536,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // Our own 503 (in the service's error shape) answers requests while draining; fastify's
    // plain one would also be sent after close() began, to requests on kept-alive connections.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    routerOptions: { maxParamLength: options.maxParamLength ?? 100 },
  };
  const app = Fastify(serverOptions);
  const state: DrainState = {
    draining: false,
    inFlight: 0,
    lastConnectionAt: 0,
    reply: options.drainingReply ?? DEFAULT_DRAINING_REPLY,
  };
  drainStates.set(app, state);
  app.addHook("onRequest", async (_request, reply) => {
    if (state.draining) return sendDraining(reply, state.reply);
    state.inFlight++;
    reply.raw.once("close", () => {
      state.inFlight--;
    });
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (state.draining) reply.header("connection", "close");
    return payload;
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
  if (state) {
    server.on("connection", () => {
      state.lastConnectionAt = Date.now();
    });
  }
  const quietMs = options.quietMs ?? 100;
  const maxDrainMs = options.maxDrainMs ?? 3_000;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (state) {
        state.draining = true;
        const deadline = Date.now() + maxDrainMs;
        while (Date.now() < deadline) {
          const quiet = Date.now() - state.lastConnectionAt >= quietMs;
          if (quiet && state.inFlight === 0) break;
          await sleep(Math.min(quietMs, 25));
        }
      }
      await app.close();
    })();
    return closing;
  };
  return { url: `http://${host}:${boundPort}`, port: boundPort, close };
}
