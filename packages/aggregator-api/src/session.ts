import { randomBytes } from "node:crypto";
import { type Address, getAddress, type Hex, verifyMessage } from "viem";
import { exactObject } from "./json-shape.js";
import { ResponseRejectedError } from "./rejections.js";

/**
 * Sessions: an operator proves once, with the ECDSA key registered for its operator id, that it
 * is that operator (`POST /v1/sessions`), and gets a bearer token it sends with each response.
 * Checking a token is a table lookup; checking a login is one secp256k1 recovery (about 1.5 ms
 * in JS); verifying a BLS signature costs a share of a pairing (tens of ms when batches are
 * bisected). So only operators can make the aggregator do curve arithmetic.
 */

/** The first line of every login message: what the signature is for, so it means nothing elsewhere. */
export const SESSION_PURPOSE = "avskit aggregator session";

/** How far a login's `issuedAt` may be from the aggregator's clock, either way. */
export const LOGIN_MAX_SKEW_SECONDS = 120;

/** What a login is bound to besides the operator: one deployment on one chain. */
export interface SessionDomain {
  readonly chainId: number;
  /** The TaskManager proxy the aggregator serves. */
  readonly taskManager: Address;
}

/** The JSON body of `POST /v1/sessions`. */
export interface SessionRequestBody {
  /** keccak256 of the operator's registered G1 key. */
  readonly operatorId: Hex;
  /** The operator's address (its registered ECDSA key), which signs the message. */
  readonly operator: Address;
  /** Unix time in seconds when the request was made. */
  readonly issuedAt: number;
  /** 32 random bytes, 0x-hex: a login is never accepted twice. */
  readonly nonce: Hex;
  /** EIP-191 personal_sign of `sessionMessage(domain, request)` by `operator`, 65 bytes 0x-hex. */
  readonly signature: Hex;
}

/** A login request that passed parsing, in canonical form (the form `sessionMessage` spells). */
export type SessionRequest = SessionRequestBody;

/** What a login returns (201). */
export interface SessionGrant {
  /** 32 random bytes, 64 lowercase hex digits; sent as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** Unix time in seconds after which the token is refused (then: log in again). */
  readonly expiresAt: number;
}

/** Whatever signs the login: a viem local account has this shape. */
export interface MessageSigner {
  readonly address: Address;
  signMessage(args: { message: string }): Promise<Hex>;
}

/**
 * The text an operator signs to log in: the purpose, then every field that binds it, one per
 * line, addresses checksummed and hex in lowercase so that both sides spell it alike.
 */
export function sessionMessage(
  domain: SessionDomain,
  request: Pick<SessionRequestBody, "operatorId" | "operator" | "issuedAt" | "nonce">,
): string {
  return [
    SESSION_PURPOSE,
    `chain id: ${domain.chainId}`,
    `task manager: ${getAddress(domain.taskManager)}`,
    `operator id: ${request.operatorId.toLowerCase()}`,
    `operator: ${getAddress(request.operator)}`,
    `issued at: ${request.issuedAt}`,
    `nonce: ${request.nonce.toLowerCase()}`,
  ].join("\n");
}

/** A login request for `operatorId`, signed by `signer` (the operator's registered ECDSA key). */
export async function createSessionRequest(
  signer: MessageSigner,
  domain: SessionDomain,
  operatorId: Hex,
  options: { readonly nowMs?: number; readonly nonce?: Hex } = {},
): Promise<SessionRequestBody> {
  const fields = {
    operatorId: operatorId.toLowerCase() as Hex,
    operator: getAddress(signer.address),
    issuedAt: Math.floor((options.nowMs ?? Date.now()) / 1000),
    nonce: (options.nonce ?? `0x${randomBytes(32).toString("hex")}`).toLowerCase() as Hex,
  };
  return { ...fields, signature: await signer.signMessage({ message: sessionMessage(domain, fields) }) };
}

const OPERATOR_ID = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NONCE = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

function malformed(problem: string): ResponseRejectedError {
  return new ResponseRejectedError("INVALID_REQUEST", `malformed session request: ${problem}`);
}

function hexField(object: Record<string, unknown>, field: string, pattern: RegExp, what: string): string {
  const value = object[field];
  if (typeof value !== "string" || !pattern.test(value)) throw malformed(`${field} must be ${what}`);
  return value.toLowerCase();
}

/** Validates a login body's shape (INVALID_REQUEST otherwise); the signature is not checked here. */
export function parseSessionRequest(body: unknown): SessionRequest {
  const top = exactObject(
    body,
    "body",
    ["operatorId", "operator", "issuedAt", "nonce", "signature"],
    malformed,
  );
  const operatorId = hexField(top, "operatorId", OPERATOR_ID, "0x followed by 64 hex digits") as Hex;
  const operator = getAddress(
    hexField(top, "operator", ADDRESS, "an address (0x followed by 40 hex digits)"),
  );
  const nonce = hexField(top, "nonce", NONCE, "32 bytes as 0x followed by 64 hex digits") as Hex;
  const signature = hexField(top, "signature", SIGNATURE, "65 bytes as 0x followed by 130 hex digits") as Hex;
  const issuedAt = top.issuedAt;
  if (typeof issuedAt !== "number" || !Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    throw malformed("issuedAt must be a unix time in whole seconds (a JSON integer)");
  }
  return { operatorId, operator, issuedAt, nonce, signature };
}

/** Whether the request's signature recovers to its `operator` (one secp256k1 recovery). */
export async function sessionSignatureValid(
  request: SessionRequest,
  domain: SessionDomain,
): Promise<boolean> {
  try {
    return await verifyMessage({
      address: request.operator,
      message: sessionMessage(domain, request),
      signature: request.signature,
    });
  } catch {
    // A signature that is not a point on secp256k1, or has a bad recovery byte, proves nothing.
    return false;
  }
}

const BEARER = /^Bearer ([0-9a-f]{64})$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined when missing or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : BEARER.exec(header.trim());
  return match?.[1]?.toLowerCase();
}
