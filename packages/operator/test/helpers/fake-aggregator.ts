import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  bearerToken,
  type ErrorBody,
  parseSessionRequest,
  parseSignedResponse,
  REJECTIONS,
  type RejectionCode,
  ResponseRejectedError,
  type SessionDomain,
  type SignedResponse,
  sessionSignatureValid,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { type G2Point, g1ToSolidity, verifySignature } from "@avskit/bls";
import { type Address, isAddressEqual } from "viem";

/**
 * A test double of the aggregator's HTTP API, and deliberately not the real aggregator
 * (packages/aggregator, tested there and end to end in packages/local-avs): the operator's
 * tests must script replies a real aggregator cannot be made to give on demand (TASK_NOT_FOUND
 * three times then 202, a refusal for one task only, a window that closes while it keeps
 * refusing, a reply that comes too late, a restart that forgets every session) and see every
 * request in the order it came. It speaks the same API (`POST /v1/sessions` → 201 token;
 * `POST /v1/tasks/:taskIndex/responses` with the token → 202, 200 duplicate for a resend of
 * what it has, or `{code, message, retryable}` with the code's status), checks logins for real
 * with the wire format's own parseSessionRequest and sessionSignatureValid against the
 * registered address, validates bodies with parseSignedResponse and checks each signature for
 * real with @avskit/bls against the operator's G2 key over taskResponseDigest.
 */
export type Verdict =
  | "valid"
  | "resent"
  | "unauthenticated"
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

export interface FakeOperator {
  readonly publicKeyG2: G2Point;
  /** Its registered ECDSA address: the only one that may log in as it. */
  readonly address: Address;
}

export interface FakeAggregator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Every login, accepted or not, in order. */
  readonly logins: { readonly operatorId: string | undefined; readonly status: number }[];
  /** Every token it granted (to check that none is ever logged). */
  readonly issuedTokens: string[];
  /** Refusals by task index, applied after the session check and before any validation (like TASK_NOT_FOUND is). */
  readonly refusals: Map<number, Refusal>;
  /** By task index: hold the reply to the first accepted response this long (it is counted at once). */
  readonly slowReplies: Map<number, number>;
  /** Forgets every session, as a restarted aggregator would. */
  forgetSessions(): void;
  requestsFor(taskIndex: number, operatorId?: string): RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeAggregator(
  operators: ReadonlyMap<string, FakeOperator>,
  domain: SessionDomain,
): Promise<FakeAggregator> {
  const requests: RecordedRequest[] = [];
  const logins: { operatorId: string | undefined; status: number }[] = [];
  const refusals = new Map<number, Refusal>();
  const slowReplies = new Map<number, number>();
  const attempts = new Map<number, number>();
  /** `task:operator` → the signature counted, as "X:Y". */
  const accepted = new Map<string, string>();
  const sessions = new Map<string, string>();
  const issuedTokens: string[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/v1\/tasks\/(\d+)\/responses$/.exec(request.url ?? "");
    const reply = (status: number, code: RejectionCode | undefined, retryable?: boolean, extra = {}) => {
      response.writeHead(status, { "content-type": "application/json" });
      const body: ErrorBody | { accepted: true } =
        code === undefined
          ? { accepted: true, ...extra }
          : { code, message: `fake aggregator: ${code}`, retryable: retryable ?? REJECTIONS[code].retryable };
      response.end(JSON.stringify(body));
    };
    if (request.method === "POST" && request.url === "/v1/sessions") {
      const text = await readBody(request);
      let code: RejectionCode | undefined;
      let operatorId: string | undefined;
      try {
        const login = parseSessionRequest(JSON.parse(text));
        operatorId = login.operatorId;
        const registered = operators.get(login.operatorId)?.address;
        if (!(await sessionSignatureValid(login, domain))) code = "AUTH_INVALID";
        else if (registered === undefined || !isAddressEqual(registered, login.operator))
          code = "NOT_AN_OPERATOR";
      } catch {
        code = "INVALID_REQUEST";
      }
      logins.push({ operatorId, status: code === undefined ? 201 : REJECTIONS[code].status });
      if (code !== undefined) return reply(REJECTIONS[code].status, code);
      const token = randomBytes(32).toString("hex");
      sessions.set(token, operatorId!);
      issuedTokens.push(token);
      response.writeHead(201, { "content-type": "application/json" });
      return response.end(JSON.stringify({ token, expiresAt: Math.floor(Date.now() / 1000) + 3600 }));
    }
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

    const caller = sessions.get(bearerToken(request.headers.authorization) ?? "");
    if (caller === undefined) {
      record(401, "UNAUTHENTICATED", "unauthenticated");
      return reply(401, "UNAUTHENTICATED");
    }

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
    if (operatorId !== caller) {
      record(403, "OPERATOR_MISMATCH", "invalid-signature", { operatorId, sum });
      return reply(403, "OPERATOR_MISMATCH");
    }
    const key = operators.get(operatorId)?.publicKeyG2;
    if (key === undefined) {
      record(403, "OPERATOR_UNKNOWN", "invalid-signature", { operatorId, sum });
      return reply(403, "OPERATOR_UNKNOWN");
    }
    if (!verifySignature(key, taskResponseDigest(parsed.response), parsed.signature)) {
      record(422, "SIGNATURE_INVALID", "invalid-signature", { operatorId, sum });
      return reply(422, "SIGNATURE_INVALID");
    }
    const id = `${taskIndex}:${operatorId}`;
    const { X, Y } = g1ToSolidity(parsed.signature);
    const signature = `${taskResponseDigest(parsed.response)}:${X}:${Y}`;
    const counted = accepted.get(id);
    if (counted === signature) {
      record(200, undefined, "resent", { operatorId, sum });
      return reply(200, undefined, undefined, { duplicate: true });
    }
    if (counted !== undefined) {
      record(409, "DUPLICATE_RESPONSE", "valid", { operatorId, sum });
      return reply(409, "DUPLICATE_RESPONSE");
    }
    accepted.set(id, signature);
    record(202, undefined, "valid", { operatorId, sum });
    const slow = slowReplies.get(taskIndex);
    if (slow !== undefined) {
      slowReplies.delete(taskIndex);
      await new Promise((resolve) => setTimeout(resolve, slow));
    }
    return reply(202, undefined, undefined, { duplicate: false });
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
    logins,
    issuedTokens,
    refusals,
    slowReplies,
    forgetSessions: () => sessions.clear(),
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
