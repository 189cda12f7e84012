import { parseTaskIndex, type RejectionCode, ResponseRejectedError } from "@avskit/aggregator-api";
import {
  createHttpApp,
  type HealthReport,
  type HttpLimits,
  type HttpRefusalKind,
  type Logger,
  type RefusalShape,
} from "@avskit/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import type { Aggregator } from "./aggregator.js";
import type { AggregatorMetrics } from "./metrics.js";
import type { SessionStore } from "./sessions.js";

export interface HttpApiOptions {
  readonly aggregator: Aggregator;
  /** Logins and the tokens every signed response must carry. */
  readonly sessions: SessionStore;
  readonly metrics: AggregatorMetrics;
  readonly logger: Logger;
  /** Largest accepted request body in bytes; a signed response is about 400. */
  readonly bodyLimit: number;
  /** Rate limit, connection limit and timeouts (the runtime's defaults for those omitted). */
  readonly limits?: Partial<HttpLimits>;
  /** The service's health report (chain head, watcher state); healthy with the load alone when omitted. */
  readonly health?: () => HealthReport;
}

/** The aggregator's code for each refusal the HTTP layer makes before or beside the routes. */
const CODE_OF: Readonly<Record<HttpRefusalKind, RejectionCode>> = {
  BAD_URL: "INVALID_REQUEST",
  URI_TOO_LONG: "URI_TOO_LONG",
  MALFORMED_REQUEST: "INVALID_REQUEST",
  MISSING_HOST: "INVALID_REQUEST",
  EXPECTATION_FAILED: "INVALID_REQUEST",
  HEADERS_TOO_LARGE: "HEADERS_TOO_LARGE",
  REQUEST_TIMEOUT: "REQUEST_TIMEOUT",
  ROUTE_NOT_FOUND: "ROUTE_NOT_FOUND",
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  INVALID_REQUEST: "INVALID_REQUEST",
  RATE_LIMITED: "RATE_LIMITED",
  TOO_MANY_CONNECTIONS: "TOO_MANY_CONNECTIONS",
  SHUTTING_DOWN: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
};

/** What a request that arrives while the API drains on stop is told: come back, elsewhere or later. */
const DRAINING_MESSAGE =
  "the aggregator is shutting down; retry shortly (another instance, or this one after its restart)";

/** Every refusal in the aggregator's codes, with the status and retry flag REJECTIONS gives each. */
const refusal: RefusalShape = (kind, message) => {
  const rejection = new ResponseRejectedError(
    CODE_OF[kind],
    kind === "SHUTTING_DOWN" ? DRAINING_MESSAGE : message,
  );
  return { status: rejection.status, body: rejection.toBody() };
};

/**
 * The aggregator's HTTP API (see README): `POST /v1/sessions` logs an operator in (201 with a
 * token); `POST /v1/tasks/:taskIndex/responses` takes one operator's signed response under its
 * token and answers once its signature has been verified and counted (202; 200 for a resend of
 * a response already counted) or refused (4xx with a code); `GET /v1/tasks/:taskIndex` and
 * `GET /health` report state. Every refusal, the framework's and Node's included, is `{code, message, retryable}` in the
 * codes of REJECTIONS, and is counted in `requests_rejected_total{code}`. Served with the
 * runtime's `listen`, its close drains: requests in progress are answered, new ones get a 503
 * `UNAVAILABLE` (retryable) until the listener closes.
 */
export function buildHttpApi(options: HttpApiOptions): FastifyInstance {
  const { aggregator, sessions, metrics, logger } = options;
  /** The operator each authenticated request's token belongs to. */
  const callers = new WeakMap<FastifyRequest, Hex>();
  const app = createHttpApp({
    ...options.limits,
    bodyLimit: options.bodyLimit,
    // The only path parameter is a task index (a uint32): a longer one is refused URI_TOO_LONG.
    maxParamLength: 64,
    refusal,
    onRefused: (refused) => metrics.requestsRejected.inc({ code: refused.body.code }),
    logger,
  });

  // JSON only: fastify would otherwise hand text/plain bodies to the handler as strings.
  app.removeContentTypeParser("text/plain");

  // Rate-limited before the body is even read: a login costs a secp256k1 recovery.
  app.post(
    "/v1/sessions",
    { onRequest: async (request) => sessions.admitLogin(request.ip) },
    async (request, reply) => reply.code(201).send(await sessions.login(request.body)),
  );

  app.post(
    "/v1/tasks/:taskIndex/responses",
    {
      // The token is checked before the body is read, so a request without a valid session
      // costs a table lookup: no JSON parsing, no point decoding, no pairing.
      onRequest: async (request) => {
        metrics.signaturesReceived.inc();
        callers.set(request, sessions.authenticate(request.headers.authorization));
      },
    },
    async (request, reply) => {
      const caller = callers.get(request);
      if (caller === undefined) throw new Error("a response reached its handler without a session");
      const taskIndex = parseTaskIndex((request.params as { taskIndex?: unknown }).taskIndex);
      const accepted = await aggregator.handleResponse(taskIndex, request.body, caller);
      return reply.code(accepted.duplicate ? 200 : 202).send({ accepted: true, ...accepted });
    },
  );

  app.get("/v1/tasks/:taskIndex", async (request, reply) => {
    const taskIndex = parseTaskIndex((request.params as { taskIndex?: unknown }).taskIndex);
    return reply.send(aggregator.describeTask(taskIndex));
  });

  app.get("/health", async (_request, reply) => {
    const report = options.health?.() ?? { healthy: true, ...aggregator.load };
    return reply.code(report.healthy ? 200 : 503).send(report);
  });

  return app;
}
