import {
  type ErrorBody,
  parseTaskIndex,
  REJECTIONS,
  type RejectionCode,
  ResponseRejectedError,
} from "@avskit/aggregator-api";
import { createHttpApp, type HealthReport, type Logger } from "@avskit/runtime";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import type { Aggregator } from "./aggregator.js";
import { AggregatorUnavailableError } from "./errors.js";
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
  /** The service's health report (chain head, watcher state); healthy with the load alone when omitted. */
  readonly health?: () => HealthReport;
}

/** What a request that arrives while the API drains on stop is told: come back, elsewhere or later. */
const DRAINING_REPLY: ErrorBody = {
  code: "UNAVAILABLE",
  message: "the aggregator is shutting down; retry shortly (another instance, or this one after its restart)",
  retryable: REJECTIONS.UNAVAILABLE.retryable,
};

const FASTIFY_CODES: Readonly<Record<string, RejectionCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
};

function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type("application/json").send(body);
}

/**
 * The aggregator's HTTP API (see README): `POST /v1/sessions` logs an operator in (201 with a
 * token); `POST /v1/tasks/:taskIndex/responses` takes one operator's signed response under its
 * token and answers once its signature has been verified and counted (202; 200 for a resend of
 * a response already counted) or refused (4xx with a code); `GET /v1/tasks/:taskIndex` and
 * `GET /health` report state.
 * Served with the runtime's `listen`, its close drains: requests in progress are answered, new
 * ones get a 503 `UNAVAILABLE` (retryable) until the listener closes.
 */
export function buildHttpApi(options: HttpApiOptions): FastifyInstance {
  const { aggregator, sessions, metrics, logger } = options;
  /** The operator each authenticated request's token belongs to. */
  const callers = new WeakMap<FastifyRequest, Hex>();
  const app = createHttpApp({
    bodyLimit: options.bodyLimit,
    // The only path parameter is a number; long URLs are refused by Node before routing.
    maxParamLength: 64,
    drainingReply: DRAINING_REPLY,
  });

  // JSON only: fastify would otherwise hand text/plain bodies to the handler as strings.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof ResponseRejectedError) {
      metrics.requestsRejected.inc({ code: error.code });
      return sendError(reply, error.status, {
        code: error.code,
        message: error.message,
        retryable: error.retryable,
      });
    }
    if (error instanceof AggregatorUnavailableError) {
      return sendError(reply, 503, { code: "UNAVAILABLE", message: error.message, retryable: true });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own refusals: unparsable JSON, wrong content type, body too large, bad length.
      const code = FASTIFY_CODES[error.code] ?? "INVALID_REQUEST";
      metrics.requestsRejected.inc({ code });
      return sendError(reply, status === 413 || status === 415 ? status : 400, {
        code,
        message: error.message,
        retryable: false,
      });
    }
    logger.error({ err: error }, "unexpected error while handling a request");
    return sendError(reply, 500, { code: "INTERNAL", message: "internal error", retryable: true });
  });

  app.setNotFoundHandler((request, reply) => {
    metrics.requestsRejected.inc({ code: "ROUTE_NOT_FOUND" });
    return sendError(reply, 404, {
      code: "ROUTE_NOT_FOUND",
      message: `no route ${request.method} ${request.url.slice(0, 100)}`,
      retryable: false,
    });
  });

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
