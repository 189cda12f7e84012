import { createHttpApp, type HttpLimits, type Logger } from "@avskit/runtime";
import type { Member, PeerVerifier } from "@avskit/sequencer-protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import { epochSummary, operatorEpoch } from "./answers.js";
import type { DowntimeDb } from "./db.js";
import { type EpochConfig, epochOf } from "./epochs.js";
import type { NetworkSource } from "./networks.js";
import type { Replicator } from "./replicator.js";
import { type DowntimeReport, parseReport, type ReportReply } from "./report.js";
import { CONFIRM_PATH, parseConfirmRequest, type Watcher } from "./watcher.js";

export interface ApiDeps {
  readonly db: DowntimeDb;
  readonly networks: NetworkSource;
  readonly epochs: EpochConfig;
  readonly watcher: Watcher;
  readonly replicator: Replicator;
  readonly verifier: PeerVerifier;
  readonly logger: Logger;
  readonly http: HttpLimits;
  /** Signs an on-chain report this replica's database agrees with. */
  readonly signReport: (report: DowntimeReport) => ReportReply;
  readonly now?: () => number;
}

/** A refusal of the API: `{code, message}` with its status. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const rawBodies = new WeakMap<FastifyRequest, string>();

/**
 * The read API (answers as of a log index) and the peers' confirmation route. Answers are built
 * from the database rows up to the index only and serialized with a fixed key order, so every
 * replica at the same index gives the same bytes. `?at=N` asks for an earlier index.
 */
export function buildApi(d: ApiDeps): FastifyInstance {
  const app = createHttpApp({ ...d.http, bodyLimit: 16_384, logger: d.logger });
  const now = d.now ?? Date.now;
  void app.register(async (scope) => {
    // The raw text is what a peer's signature covers.
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
      rawBodies.set(request, body as string);
      try {
        done(null, body === "" ? {} : JSON.parse(body as string));
      } catch {
        done(new ApiError(400, "INVALID_REQUEST", "the body is not JSON"), undefined);
      }
    });
    scope.setErrorHandler((error, _request, reply) => {
      if (error instanceof ApiError)
        return reply.code(error.status).send({ code: error.code, message: error.message });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) d.logger.error({ err: error }, "unexpected error while handling a request");
      return reply.code(status).send({
        code: status >= 500 ? "INTERNAL" : "INVALID_REQUEST",
        message: status >= 500 ? "internal error" : (error as Error).message,
      });
    });

    const asOf = (request: FastifyRequest): number => {
      const last = d.db.position().index;
      const at = (request.query as Record<string, unknown>).at;
      if (at === undefined) return last;
      if (typeof at !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(at))
        throw new ApiError(400, "INVALID_REQUEST", "at must be a whole number (a log index)");
      if (Number(at) > last)
        throw new ApiError(409, "NOT_YET", `this replica has applied the log up to index ${last}, not ${at}`);
      return Number(at);
    };
    const epochParam = (value: string): number => {
      if (value === "current") return epochOf(d.epochs, now());
      if (!/^(0|[1-9][0-9]{0,15})$/.test(value))
        throw new ApiError(400, "INVALID_REQUEST", "an epoch is a whole number, or current");
      return Number(value);
    };
    // An id is answered as is (one the log never named has no events); an address is looked up in
    // the log, then in the current set (an operator's id is the hash of its key: the same everywhere).
    const operatorParam = (value: string): Hex => {
      if (/^0x[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase() as Hex;
      const id = /^0x[0-9a-fA-F]{40}$/.test(value)
        ? (d.db.operatorIdOf(value as Hex) ??
          d.networks.current().members.find((m) => m.address.toLowerCase() === value.toLowerCase())
            ?.operatorId)
        : undefined;
      if (id === undefined)
        throw new ApiError(
          404,
          "UNKNOWN_OPERATOR",
          `${value} is neither an operator id (0x and 64 hex digits) nor the address of an operator`,
        );
      return id;
    };
    // Serialized here (not by fastify's schema-less stringify) so the bytes are exactly JSON.stringify's.
    const send = (reply: FastifyReply, body: unknown) =>
      reply.type("application/json").send(JSON.stringify(body));

    scope.get("/health", async () => ({ healthy: true, asOfIndex: d.db.position().index }));
    scope.get("/v1/status", async (_request, reply) => {
      const index = d.db.position().index;
      const counts = d.db.counts();
      return send(reply, {
        asOfIndex: index,
        finalizedIndex: d.replicator.finalizedIndex,
        applied: counts.applied,
        refused: counts.refused,
        digest: d.db.digest(index),
      });
    });
    scope.get("/v1/digest", async (request, reply) => {
      const index = asOf(request);
      return send(reply, { asOfIndex: index, digest: d.db.digest(index) });
    });
    scope.get("/v1/refusals", async (request, reply) => {
      const index = asOf(request);
      return send(reply, { asOfIndex: index, refusals: d.db.refusals(index) });
    });
    scope.get<{ Params: { operator: string; epoch: string } }>(
      "/v1/operators/:operator/epochs/:epoch",
      async (request, reply) => {
        const index = asOf(request);
        const operator = operatorParam(request.params.operator);
        return send(reply, operatorEpoch(d.db, d.epochs, operator, epochParam(request.params.epoch), index));
      },
    );
    scope.get<{ Params: { epoch: string } }>("/v1/epochs/:epoch", async (request, reply) => {
      const index = asOf(request);
      return send(reply, epochSummary(d.db, d.epochs, epochParam(request.params.epoch), index));
    });
    // Open to anyone (a keeper assembling a report need not be an operator): it signs only what
    // this replica's own database holds.
    scope.post("/v1/reports/sign", async (request, reply) => {
      const report = parseReport(request.body);
      if (report === undefined)
        throw new ApiError(
          400,
          "INVALID_REQUEST",
          "the body is not a report {chainId, ejector, operator, epoch, downtimeMs, asOfIndex, referenceBlock}",
        );
      return send(reply, d.signReport(report));
    });
    scope.post(CONFIRM_PATH, async (request, reply) => {
      const confirm = parseConfirmRequest(request.body);
      if (confirm === undefined)
        throw new ApiError(
          400,
          "INVALID_REQUEST",
          "the body is not a confirmation request {subject, state, observedAt, epoch, snapshotId, referenceBlock?}",
        );
      // The set it names is looked up first (bounded: see networks.ts), so that the sender's key is known.
      await d.networks.resolve(confirm).catch(() => undefined);
      const check = d.verifier.verify(
        request.headers,
        request.method,
        request.url,
        rawBodies.get(request) ?? "",
      );
      if (!check.ok) throw new ApiError(401, check.code, `peer request refused: ${check.code}`);
      const from: Member = check.member;
      return send(reply, await d.watcher.handleConfirm(from, confirm));
    });
  });
  return app;
}
