import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type G1Point, type G2Point, g1FromSolidity, verifySignature } from "@avskit/bls";
import { encodeAbiParameters, type Hex, keccak256 } from "viem";

/**
 * Stands in for the aggregator in the operator's tests (the real one is tested in
 * packages/aggregator). It speaks the same HTTP API (`POST /v1/tasks/:taskIndex/responses`,
 * 202 or a 4xx `{code, message, retryable}`), records every request, and checks each
 * signature for real with @avskit/bls against the operator's G2 key, over a digest it
 * computes itself. Tests script refusals per task.
 */
export type Verdict =
  | "valid"
  | "malformed-body"
  | "malformed-signature"
  | "invalid-signature"
  | "scripted-refusal";

export interface RecordedRequest {
  readonly taskIndex: number;
  readonly body: unknown;
  readonly at: number;
  readonly status: number;
  readonly code: string | undefined;
  readonly verdict: Verdict;
  readonly operatorId: string | undefined;
  readonly sum: bigint | undefined;
}

export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  /** Refuse this many attempts, then behave normally; forever when omitted. */
  readonly times?: number;
}

export interface FakeAggregator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Refusals by task index, applied before any validation (like TASK_NOT_FOUND is). */
  readonly refusals: Map<number, Refusal>;
  requestsFor(taskIndex: number, operatorId?: string): RecordedRequest[];
  close(): Promise<void>;
}

function digestOf(referenceTaskIndex: number, sum: bigint): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "tuple", components: [{ type: "uint32" }, { type: "uint256" }] }],
      [[referenceTaskIndex, sum]],
    ),
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeAggregator(keys: ReadonlyMap<string, G2Point>): Promise<FakeAggregator> {
  const requests: RecordedRequest[] = [];
  const refusals = new Map<number, Refusal>();
  const attempts = new Map<number, number>();
  const accepted = new Set<string>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/v1\/tasks\/(\d+)\/responses$/.exec(request.url ?? "");
    const reply = (status: number, code: string | undefined, retryable = false) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(
        JSON.stringify(code ? { code, message: `fake aggregator: ${code}`, retryable } : { accepted: true }),
      );
    };
    if (request.method !== "POST" || !match) return reply(404, "ROUTE_NOT_FOUND");
    const taskIndex = Number(match[1]);
    const text = await readBody(request);
    const record = (
      status: number,
      code: string | undefined,
      verdict: Verdict,
      extra: Partial<RecordedRequest> = {},
    ) => {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      // Attribute even refused requests to their sender when the body names one.
      const claimed = (body as { operatorId?: unknown })?.operatorId;
      const operatorId = typeof claimed === "string" ? claimed.toLowerCase() : undefined;
      requests.push({
        taskIndex,
        body,
        at: Date.now(),
        status,
        code,
        verdict,
        operatorId,
        sum: undefined,
        ...extra,
      });
    };

    const attempt = (attempts.get(taskIndex) ?? 0) + 1;
    attempts.set(taskIndex, attempt);
    const refusal = refusals.get(taskIndex);
    if (refusal && (refusal.times === undefined || attempt <= refusal.times)) {
      record(refusal.status, refusal.code, "scripted-refusal");
      return reply(refusal.status, refusal.code, refusal.retryable);
    }

    let operatorId: string;
    let sum: bigint;
    let referenceTaskIndex: number;
    let point: { X: bigint; Y: bigint };
    try {
      const body = JSON.parse(text) as {
        operatorId: string;
        response: { referenceTaskIndex: number; sum: string };
        signature: { X: string; Y: string };
      };
      operatorId = body.operatorId.toLowerCase();
      if (!/^0x[0-9a-f]{64}$/.test(operatorId)) throw new Error("operatorId");
      sum = BigInt(body.response.sum);
      referenceTaskIndex = body.response.referenceTaskIndex;
      if (!Number.isInteger(referenceTaskIndex)) throw new Error("referenceTaskIndex");
      point = { X: BigInt(body.signature.X), Y: BigInt(body.signature.Y) };
    } catch {
      record(400, "INVALID_REQUEST", "malformed-body");
      return reply(400, "INVALID_REQUEST");
    }
    let signature: G1Point;
    try {
      signature = g1FromSolidity(point);
    } catch {
      record(400, "INVALID_SIGNATURE_POINT", "malformed-signature", { operatorId, sum });
      return reply(400, "INVALID_SIGNATURE_POINT");
    }
    const key = keys.get(operatorId);
    if (key === undefined) {
      record(403, "OPERATOR_UNKNOWN", "invalid-signature", { operatorId, sum });
      return reply(403, "OPERATOR_UNKNOWN");
    }
    if (!verifySignature(key, digestOf(referenceTaskIndex, sum), signature)) {
      record(422, "SIGNATURE_INVALID", "invalid-signature", { operatorId, sum });
      return reply(422, "SIGNATURE_INVALID");
    }
    const id = `${taskIndex}:${operatorId}`;
    if (accepted.has(id)) {
      record(409, "DUPLICATE_RESPONSE", "valid", { operatorId, sum });
      return reply(409, "DUPLICATE_RESPONSE");
    }
    accepted.add(id);
    record(202, undefined, "valid", { operatorId, sum });
    return reply(202, undefined);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusals,
    requestsFor: (taskIndex, operatorId) =>
      requests.filter(
        (r) =>
          r.taskIndex === taskIndex &&
          (operatorId === undefined || r.operatorId === operatorId.toLowerCase()),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
