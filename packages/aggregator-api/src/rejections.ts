/**
 * Why the aggregator refused a request. Each code has one HTTP status; operators branch on the
 * code, never on the message. Codes marked retryable may succeed if the same request is sent
 * again later (the aggregator may not have seen the task yet, is overloaded, or is restarting).
 */
export const REJECTIONS = {
  /**
   * Body is not JSON, has wrong types, missing or extra fields, or a number out of range; or the
   * request itself is not well-formed HTTP (a path that cannot be decoded, no Host header, …).
   */
  INVALID_REQUEST: { status: 400, retryable: false },
  /** Content-Type is not application/json. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  /** Body larger than the configured limit. */
  BODY_TOO_LARGE: { status: 413, retryable: false },
  /** No such route. */
  ROUTE_NOT_FOUND: { status: 404, retryable: false },
  /** A path parameter (the task index) is far too long to be one. */
  URI_TOO_LONG: { status: 414, retryable: false },
  /** The request line and headers are larger than the server accepts. */
  HEADERS_TOO_LARGE: { status: 431, retryable: false },
  /** The request did not arrive in full within the server's headers or request timeout. */
  REQUEST_TIMEOUT: { status: 408, retryable: true },
  /** This client address sent more requests than its rate limit lets through: retry after `Retry-After`. */
  RATE_LIMITED: { status: 429, retryable: true },
  /** Every connection the aggregator holds is serving a request: retry shortly. */
  TOO_MANY_CONNECTIONS: { status: 503, retryable: true },
  /**
   * No valid session: the Authorization header is missing or malformed, or names a token the
   * aggregator does not know (it restarted, or dropped the token for a newer one) or one that
   * has expired. Retryable only when expired; in every case the client logs in again.
   */
  UNAUTHENTICATED: { status: 401, retryable: false },
  /** The session belongs to another operator than the body's `operatorId`. */
  OPERATOR_MISMATCH: { status: 403, retryable: false },
  /** Login: `issuedAt` is more than the allowed skew (2 minutes) from the aggregator's clock. */
  LOGIN_EXPIRED: { status: 401, retryable: false },
  /** Login: this (operator, nonce) was already used to log in; every login takes a fresh nonce. */
  NONCE_REUSED: { status: 409, retryable: false },
  /** Login: the signature does not recover to the `operator` address of the request. */
  AUTH_INVALID: { status: 401, retryable: false },
  /** Login: `operator` is not the address registered for `operatorId` in the RegistryCoordinator. */
  NOT_AN_OPERATOR: { status: 403, retryable: false },
  /** Login: too many logins from this client, or in all, just now: retry shortly. */
  LOGIN_RATE_LIMITED: { status: 429, retryable: true },
  /** The signature is not a valid G1 point: out of range, not on the curve, or infinity. */
  INVALID_SIGNATURE_POINT: { status: 400, retryable: false },
  /** `response.referenceTaskIndex` differs from the task in the URL. */
  TASK_MISMATCH: { status: 400, retryable: false },
  /** The aggregator has not seen this task (yet): retry with backoff inside the response window. */
  TASK_NOT_FOUND: { status: 404, retryable: true },
  /** The task's response window has passed. */
  TASK_EXPIRED: { status: 410, retryable: false },
  /** A response for this task has been (or is being) submitted on-chain. */
  TASK_ALREADY_RESPONDED: { status: 409, retryable: false },
  /** The operator id is not registered in any quorum at the task's reference block. */
  OPERATOR_UNKNOWN: { status: 403, retryable: false },
  /** The operator is registered, but in none of the task's quorums. */
  OPERATOR_NOT_IN_QUORUMS: { status: 403, retryable: false },
  /** This operator has already answered this task (with any answer). */
  DUPLICATE_RESPONSE: { status: 409, retryable: false },
  /** The signature does not verify against the operator's key and the response digest. */
  SIGNATURE_INVALID: { status: 422, retryable: false },
  /**
   * The operator has used up its verification attempts for this task (`--max-attempts-per-task`):
   * refused before any curve arithmetic.
   */
  TOO_MANY_ATTEMPTS: { status: 403, retryable: false },
  /** Too many signatures waiting for verification: retry shortly. */
  OVERLOADED: { status: 429, retryable: true },
  /** The aggregator cannot serve right now (the chain is unreachable, or it is shutting down). */
  UNAVAILABLE: { status: 503, retryable: true },
  /** A bug on the aggregator's side; the request may be sent again. */
  INTERNAL: { status: 500, retryable: true },
} as const;

export type RejectionCode = keyof typeof REJECTIONS;

/** The JSON every refusal carries. */
export interface ErrorBody {
  readonly code: RejectionCode;
  readonly message: string;
  readonly retryable: boolean;
}

/** A refused request: nothing in the aggregator's task state changed because of it. */
export class ResponseRejectedError extends Error {
  readonly code: RejectionCode;
  readonly status: number;
  readonly retryable: boolean;
  /** `retryable` overrides the code's own flag where one code covers both cases (UNAUTHENTICATED). */
  constructor(code: RejectionCode, message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.name = "ResponseRejectedError";
    this.code = code;
    this.status = REJECTIONS[code].status;
    this.retryable = options.retryable ?? REJECTIONS[code].retryable;
  }

  /** The reply body. */
  toBody(): ErrorBody {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

export function isRejectionCode(code: string): code is RejectionCode {
  return Object.hasOwn(REJECTIONS, code);
}
