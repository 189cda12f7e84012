import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ErrorBody,
  parseSignedResponse,
  REJECTIONS,
  type RejectionCode,
  ResponseRejectedError,
  type SignedResponse,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { type G2Point, verifySignature } from "@avskit/bls";

/**
 * A test double of the aggregator's HTTP API, and deliberately not the real aggregator
 * (packages/aggregator, tested there and end to end in packages/local-avs): the operator's
 * tests must script replies a real aggregator cannot be made to give on demand (TASK_NOT_FOUND
 * three times then 202, a refusal for one task only, a window that closes while it keeps
 * refusing) and see every request in the order it came. It speaks the same API
 * (`POST /v1/tasks/:taskIndex/responses`, 202 or `{code, message, retryable}` with the code's
 * status), validates bodies with the wire format's own parseSignedResponse and checks each
 * signature for real with @avskit/bls against the operator's G2 key over taskResponseDigest.
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
  readonly code: RejectionCode;
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
    const reply = (status: number, code: RejectionCode | undefined, retryable?: boolean) => {
      response.writeHead(status, { "content-type": "application/json" });
      const body: ErrorBody | { accepted: true } =
        code === undefined
          ? { accepted: true }
          : { code, message: `fake aggregator: ${code}`, retryable: retryable ?? REJECTIONS[code].retryable };
      response.end(JSON.stringify(body));
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

    let parsed: SignedResponse;
    try {
      parsed = parseSignedResponse(JSON.parse(text));
      if (parsed.response.referenceTaskIndex !== taskIndex) {
        throw new ResponseRejectedError("TASK_MISMATCH", "response.referenceTaskIndex is not the URL's task");
      }
    } catch (error) {
      // JSON.parse's SyntaxError is a malformed body too.
      const code: RejectionCode = error instanceof ResponseRejectedError ? error.code : "INVALID_REQUEST";
      const verdict: Verdict = code === "INVALID_SIGNATURE_POINT" ? "malformed-signature" : "malformed-body";
      record(REJECTIONS[code].status, code, verdict);
      return reply(REJECTIONS[code].status, code);
    }
    const operatorId = parsed.operatorId.toLowerCase();
    const { sum } = parsed.response;
    const key = keys.get(operatorId);
    if (key === undefined) {
      record(403, "OPERATOR_UNKNOWN", "invalid-signature", { operatorId, sum });
      return reply(403, "OPERATOR_UNKNOWN");
    }
    if (!verifySignature(key, taskResponseDigest(parsed.response), parsed.signature)) {
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
