import {
  createHttpApp,
  type HttpLimits,
  type HttpRefusalKind,
  type Logger,
  type RefusalShape,
} from "@avskit/runtime";
import {
  batchStatusToJson,
  finalizedPageToJson,
  finalizedTipToJson,
  forwardRequestFromJson,
  genesisHash,
  isAppName,
  type Member,
  networkToJson,
  newViewFromJson,
  newViewToJson,
  nodeStateToJson,
  type PeerVerifier,
  peerLogPageToJson,
  roundReplyToJson,
  roundRequestFromJson,
  submitBatchesRequestFromJson,
  submitBatchesResponseToJson,
  tipStatementFromJson,
  verifyTipStatement,
  viewChangeVoteFromJson,
} from "@avskit/sequencer-protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import { REFUSALS, type RefusalCode, RefusedError } from "./errors.js";
import { handleRound } from "./follower.js";
import type { SequencerMetrics } from "./metrics.js";
import type { SequencerNode } from "./node.js";
import { decodeOr } from "./wire.js";

export interface ApiLimits {
  /** Largest request body (bytes). */
  readonly bodyLimit: number;
  readonly maxBatchBytes: number;
  readonly maxBatchesPerRequest: number;
  /** Longest long-poll a client may ask for. */
  readonly maxWaitMs: number;
  /** Largest page of finalized batches. */
  readonly maxPageLimit: number;
}

export interface HttpApiOptions {
  readonly node: SequencerNode;
  readonly verifier: PeerVerifier;
  readonly metrics: SequencerMetrics;
  readonly logger: Logger;
  readonly limits: ApiLimits;
  readonly http?: Partial<HttpLimits>;
}

const CODE_OF: Readonly<Record<HttpRefusalKind, RefusalCode>> = {
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
  SHUTTING_DOWN: "SHUTTING_DOWN",
  INTERNAL: "INTERNAL",
};

const refusal: RefusalShape = (kind, message) => {
  const code = CODE_OF[kind];
  return {
    status: REFUSALS[code].status,
    body: {
      code,
      message:
        kind === "SHUTTING_DOWN"
          ? "the node is shutting down; retry shortly, here or at another node"
          : message,
      retryable: REFUSALS[code].retryable,
    },
  };
};

/** The authenticated sender of a /v1/peer/* request. */
const senders = new WeakMap<FastifyRequest, Member>();
const rawBodies = new WeakMap<FastifyRequest, string>();

const appOf = (request: FastifyRequest): string => {
  const app = (request.params as { app: string }).app;
  if (!isAppName(app))
    throw new RefusedError("INVALID_APP", `${JSON.stringify(app.slice(0, 80))} is not an app name`);
  return app;
};

function uintQuery(value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(value))
    throw new RefusedError("INVALID_REQUEST", `${name} must be a whole number`);
  return Math.min(Number(value), max);
}

function idOf(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{32}$/.test(value))
    throw new RefusedError("INVALID_ID", "an id is 0x and 32 hex digits");
  return value.toLowerCase() as Hex;
}

/**
 * The node's HTTP API (README "HTTP API"): the client routes (`/v1/apps/:app/…`, `/v1/state`,
 * `/v1/network`, `/health`, `/ready`) and the peer routes (`/v1/peer/…`), each of which is
 * authenticated with the library's PeerVerifier in a preHandler, before its handler (and so
 * before any BLS work) runs. Refusals are `{code, message, retryable}` in REFUSALS' codes.
 */
export function buildHttpApi(options: HttpApiOptions): FastifyInstance {
  const { node, verifier, metrics, limits } = options;
  const app = createHttpApp({
    ...options.http,
    bodyLimit: limits.bodyLimit,
    maxParamLength: 100,
    refusal,
    logger: options.logger,
    onRefused: (r) => metrics.refused.inc({ code: r.body.code }),
  });
  // Routes live in one child scope: its error handler adds a refusal's details (LOG_MISMATCH's
  // tip) to the body, which the runtime's root handler does not know of.
  void app.register(async (scope) => {
    // The raw text is what a peer's signature covers: kept beside the parsed body.
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
      const text = body as string;
      rawBodies.set(request, text);
      try {
        done(null, text === "" ? {} : JSON.parse(text));
      } catch {
        done(new RefusedError("INVALID_REQUEST", "the body is not JSON"), undefined);
      }
    });
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof RefusedError) {
        metrics.refused.inc({ code: error.code });
        return reply.code(error.status).send(error.toBody());
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      const code: RefusalCode =
        status === 413
          ? "BODY_TOO_LARGE"
          : status === 415
            ? "UNSUPPORTED_MEDIA_TYPE"
            : status < 500
              ? "INVALID_REQUEST"
              : "INTERNAL";
      if (code === "INTERNAL")
        options.logger.error({ err: error }, "unexpected error while handling a request");
      metrics.refused.inc({ code });
      return reply.code(REFUSALS[code].status).send({
        code,
        message: code === "INTERNAL" ? "internal error" : (error as Error).message,
        retryable: REFUSALS[code].retryable,
      });
    });

    scope.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.url.startsWith("/v1/peer/")) return;
      const body = rawBodies.get(request) ?? "";
      const check = verifier.verify(request.headers, request.method, request.url, body);
      if (!check.ok) {
        metrics.refused.inc({ code: check.code });
        const r = REFUSALS[check.code];
        return reply
          .code(r.status)
          .send({ code: check.code, message: `peer request refused: ${check.code}`, retryable: r.retryable });
      }
      senders.set(request, check.member);
    });
    const sender = (request: FastifyRequest): Member => senders.get(request)!;

    // ---------------------------------------------------------------------------------------------
    // Client API

    scope.post("/v1/apps/:app/batches", async (request) => {
      const name = appOf(request);
      const body = decodeOr("INVALID_REQUEST", () => submitBatchesRequestFromJson(request.body));
      if (body.batches.length === 0) throw new RefusedError("INVALID_REQUEST", "batches is empty");
      if (body.batches.length > limits.maxBatchesPerRequest)
        throw new RefusedError(
          "TOO_MANY_BATCHES",
          `at most ${limits.maxBatchesPerRequest} batches per request`,
        );
      for (const [i, b] of body.batches.entries()) {
        if (b.body.length > limits.maxBatchBytes)
          throw new RefusedError(
            "BATCH_TOO_LARGE",
            `batches[${i}] has ${b.body.length} bytes; at most ${limits.maxBatchBytes}`,
          );
      }
      if (!node.following)
        throw new RefusedError(
          "NOT_SYNCED",
          "this node is not in sync with the leader yet; retry here later or at another node",
        );
      const ids = node.submit(name, body.batches);
      return submitBatchesResponseToJson({ ids });
    });

    scope.get("/v1/apps/:app/batches", async (request) => {
      const name = appOf(request);
      const q = request.query as Record<string, unknown>;
      const after = uintQuery(q.after, "after", 0);
      const limit = Math.max(1, uintQuery(q.limit, "limit", limits.maxPageLimit, limits.maxPageLimit));
      const wait = uintQuery(q.wait, "wait", 0, limits.maxWaitMs);
      const deadline = Date.now() + wait;
      const log = node.apps.get(name);
      while ((node.apps.get(name)?.finalizedIndex ?? 0) <= after && Date.now() < deadline && !node.stopped)
        await node.waitForChange(name, deadline - Date.now());
      const current = node.apps.get(name) ?? log;
      const lastFinalized = BigInt(current?.finalizedIndex ?? 0);
      const end = current?.pageEnd(after, limit);
      const prevChainHash = current?.hashAt(after);
      if (!current || !end || prevChainHash === undefined) {
        return finalizedPageToJson({
          app: name,
          after: BigInt(after),
          prevChainHash: prevChainHash ?? current?.genesis ?? genesisHash(name),
          batches: [],
          finality: null,
          lastFinalized,
        });
      }
      const rows = current.read(after, end.index - after);
      return finalizedPageToJson({
        app: name,
        after: BigInt(after),
        prevChainHash,
        batches: rows.map((r) => ({ index: BigInt(r.index), id: r.id, body: r.body })),
        finality: end.finality,
        lastFinalized,
      });
    });

    scope.get("/v1/apps/:app/ids/:id", async (request) => {
      const name = appOf(request);
      const id = idOf((request.params as { id: string }).id);
      const wait = uintQuery((request.query as Record<string, unknown>).wait, "wait", 0, limits.maxWaitMs);
      const deadline = Date.now() + wait;
      let state = node.batchState(name, id);
      while (state.state !== "finalized" && Date.now() < deadline && !node.stopped) {
        const before = state.state;
        await node.waitForChange(name, deadline - Date.now());
        state = node.batchState(name, id);
        if (state.state !== before) break;
      }
      return batchStatusToJson({
        id,
        state: state.state,
        ...(state.index !== undefined ? { index: BigInt(state.index) } : {}),
      });
    });

    scope.get("/v1/apps/:app/finalized", async (request) => {
      const name = appOf(request);
      const log = node.apps.get(name);
      const finality = log?.finality ?? null;
      return finalizedTipToJson({
        index: BigInt(log?.finalizedIndex ?? 0),
        chainHash: finality?.chainHash ?? log?.genesis ?? genesisHash(name),
        finality,
      });
    });

    scope.get("/v1/state", async () =>
      nodeStateToJson({
        node: node.self.operatorId,
        term: node.term,
        leader: node.leader.operatorId,
        ready: node.ready,
        snapshotId: node.network.snapshotId,
        apps: Object.fromEntries(
          [...node.apps].map(([name, log]) => [
            name,
            {
              sequenced: BigInt(log.tip.index),
              locked: log.lock?.index ?? 0n,
              finalized: BigInt(log.finalizedIndex),
            },
          ]),
        ),
      }),
    );

    scope.get("/v1/network", async () => networkToJson(node.network));
    // The new views that moved the log onto new operator sets: a client that trusts an earlier
    // set checks each one's votes with it (the SDK follows them so).
    scope.get("/v1/network-changes", async () => ({ changes: node.store.networkChanges() }));

    scope.get("/health", async (_request, reply) => {
      const healthy = !node.stopped;
      return reply.code(healthy ? 200 : 503).send({ healthy, term: node.term.toString(), ready: node.ready });
    });

    scope.get("/ready", async (_request, reply) => {
      const ready = node.ready;
      return reply
        .code(ready ? 200 : 503)
        .send({ ready, term: node.term.toString(), leader: node.leader.operatorId });
    });

    // ---------------------------------------------------------------------------------------------
    // Peer API (authenticated above)

    scope.post("/v1/peer/round", async (request) => {
      const round = decodeOr("INVALID_REQUEST", () => roundRequestFromJson(request.body));
      return roundReplyToJson(await handleRound(node, sender(request), round));
    });

    scope.post("/v1/peer/forward", async (request) => {
      const body = decodeOr("INVALID_REQUEST", () => forwardRequestFromJson(request.body));
      const leader = node.leaderRole;
      if (!leader) throw new RefusedError("NOT_LEADER", `this node does not lead term ${node.term}`);
      leader.enqueue(body.batches, sender(request).operatorId);
      return { accepted: body.batches.length };
    });

    scope.post("/v1/peer/dispute", async (request) => {
      const body = decodeOr("INVALID_REQUEST", () => forwardRequestFromJson(request.body));
      node.takeDisputed(body.batches);
      return { accepted: body.batches.length };
    });

    scope.post("/v1/peer/status", async (request) => {
      const { statements: list, term } = (request.body ?? {}) as { statements?: unknown; term?: unknown };
      // The leader's beat while it has no app to send rounds of: it is alive and leads this term.
      if (
        typeof term === "string" &&
        term === node.term.toString() &&
        sender(request).operatorId === node.leader.operatorId
      )
        node.noteLeaderAlive();
      if (!Array.isArray(list) || list.length > 1_000)
        throw new RefusedError("INVALID_REQUEST", "statements must be a list");
      let counted = 0;
      for (const [i, json] of list.entries()) {
        const st = decodeOr("BAD_STATEMENT", () => tipStatementFromJson(json, `statements[${i}]`));
        if (!verifyTipStatement(node.network, st)) continue;
        node.viewChange.noteStatement(st);
        counted++;
      }
      return { counted };
    });

    scope.post("/v1/peer/view-change", async (request) => {
      const json = ((request.body ?? {}) as { vote?: unknown }).vote;
      const vote = decodeOr("BAD_VOTE", () => viewChangeVoteFromJson(json, "vote"));
      node.viewChange.onVote(sender(request), vote);
      return { term: node.term.toString() };
    });

    scope.post("/v1/peer/new-view", async (request) => {
      const nv = decodeOr("BAD_NEW_VIEW", () => newViewFromJson(request.body));
      await node.viewChange.onNewViewFrom(sender(request), nv);
      return { term: node.term.toString() };
    });

    scope.get("/v1/peer/new-view", async () => {
      const nv = node.newView;
      if (!nv) throw new RefusedError("NO_NEW_VIEW", `this node holds no new view (term ${node.term})`);
      return newViewToJson(nv);
    });

    scope.get("/v1/peer/log", async (request) => {
      const q = request.query as Record<string, unknown>;
      if (typeof q.app !== "string" || !isAppName(q.app))
        throw new RefusedError("INVALID_APP", "app is not an app name");
      const after = uintQuery(q.after, "after", 0);
      const limit = Math.max(1, uintQuery(q.limit, "limit", 1_000, 1_000));
      const log = node.apps.get(q.app);
      const prev = log?.hashAt(after);
      if (!log || prev === undefined)
        throw new RefusedError("INVALID_REQUEST", `this log has no index ${after}`);
      const rows = log.read(after, limit, 4 * 1024 * 1024);
      return peerLogPageToJson({
        app: q.app,
        after: BigInt(after),
        prevChainHash: prev,
        entries: rows.map((r) => ({ index: BigInt(r.index), id: r.id, body: r.body })),
      });
    });
  });
  return app;
}
