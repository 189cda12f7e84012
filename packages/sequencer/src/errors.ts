/**
 * Every way the node refuses a request, with one HTTP status each. Clients (the SDK, other nodes)
 * branch on the code, never on the message; `retryable` says whether the same request may succeed
 * later (elsewhere, or here once the node has caught up).
 */
export const REFUSALS = {
  // The HTTP layer's own (runtime's createHttpApp), in the node's words.
  INVALID_REQUEST: { status: 400, retryable: false },
  URI_TOO_LONG: { status: 414, retryable: false },
  HEADERS_TOO_LARGE: { status: 431, retryable: false },
  REQUEST_TIMEOUT: { status: 408, retryable: true },
  ROUTE_NOT_FOUND: { status: 404, retryable: false },
  BODY_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  TOO_MANY_CONNECTIONS: { status: 503, retryable: true },
  SHUTTING_DOWN: { status: 503, retryable: true },
  INTERNAL: { status: 500, retryable: true },

  // Client API.
  /** The app name is not `^[a-z0-9][a-z0-9-]{0,62}$`. */
  INVALID_APP: { status: 400, retryable: false },
  /** A batch id is not 16 bytes of hex. */
  INVALID_ID: { status: 400, retryable: false },
  /** One batch body is larger than `--max-batch-bytes`. */
  BATCH_TOO_LARGE: { status: 413, retryable: false },
  /** More batches in one request than `--max-batches-per-request`. */
  TOO_MANY_BATCHES: { status: 413, retryable: false },
  /** The node has not caught up with the current leader (start-up, leader change): try another node or later. */
  NOT_SYNCED: { status: 503, retryable: true },
  /** Too many pending batches on this node: retry later. */
  OVERLOADED: { status: 503, retryable: true },

  // Peer authentication (the library's PeerRejection codes).
  UNAUTHENTICATED: { status: 401, retryable: false },
  /** Signed under an operator set this node does not know yet (mid-change): it may learn it soon. */
  UNKNOWN_SNAPSHOT: { status: 403, retryable: true },
  NOT_A_MEMBER: { status: 403, retryable: false },
  BAD_PEER_SIGNATURE: { status: 401, retryable: false },
  STALE_PEER_REQUEST: { status: 401, retryable: true },
  REPLAYED_PEER_REQUEST: { status: 409, retryable: false },

  // Peer protocol.
  /** The round is from a member that does not lead the follower's current term. */
  NOT_LEADER: { status: 409, retryable: false },
  /** The sender's term is older than the receiver's: it should fetch the new view. */
  STALE_TERM: { status: 409, retryable: false },
  /** The receiver has not seen the new view of the sender's (higher) term yet. */
  NEED_NEW_VIEW: { status: 409, retryable: true },
  /** The round's (prevIndex, prevHash) is not the follower's tip; the body says where it is. */
  LOG_MISMATCH: { status: 409, retryable: true },
  /** A round repeats an id already in the follower's log (or twice in itself). */
  DUPLICATE_ID: { status: 409, retryable: false },
  /** A tip statement, certificate, vote or new view that does not verify. */
  BAD_STATEMENT: { status: 400, retryable: false },
  BAD_CERTIFICATE: { status: 400, retryable: false },
  BAD_VOTE: { status: 400, retryable: false },
  BAD_NEW_VIEW: { status: 400, retryable: false },
  /** The receiver holds no new view (it is in term 1, or lost it). */
  NO_NEW_VIEW: { status: 404, retryable: false },
} as const satisfies Readonly<Record<string, { status: number; retryable: boolean }>>;

export type RefusalCode = keyof typeof REFUSALS;

/** The base of the package's errors. */
export class SequencerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request refused for a reason with a code; the HTTP layer sends it as `{code, message, retryable, ...details}`. */
export class RefusedError extends SequencerError {
  readonly code: RefusalCode;
  readonly status: number;
  readonly retryable: boolean;
  /** Extra fields of the reply body (e.g. LOG_MISMATCH's tip). */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: RefusalCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.code = code;
    this.status = REFUSALS[code].status;
    this.retryable = REFUSALS[code].retryable;
    this.details = details;
  }

  toBody(): Record<string, unknown> {
    return { code: this.code, message: this.message, retryable: this.retryable, ...this.details };
  }
}

/** A peer answered with a refusal (or not at all). */
export class PeerRequestError extends SequencerError {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly body: Record<string, unknown> | undefined;
  constructor(message: string, status?: number, body?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.body = body;
    this.code = typeof body?.code === "string" ? body.code : undefined;
  }
}

/** The configured keys do not belong to a member of the network. */
export class NotAMemberError extends SequencerError {}

/** First line of an error's message, for logs. */
export function briefly(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0]!;
}
