import { createHash, randomBytes } from "node:crypto";
import {
  bearerToken,
  LOGIN_MAX_SKEW_SECONDS,
  parseSessionRequest,
  ResponseRejectedError,
  type SessionDomain,
  type SessionGrant,
  sessionSignatureValid,
} from "@avskit/aggregator-api";
import { type Address, type Hex, isAddressEqual } from "viem";
import { AggregatorUnavailableError } from "./errors.js";
import type { AggregatorMetrics } from "./metrics.js";

/** Who is registered under an operator id (the RegistryCoordinator's `getOperatorFromId`). */
export interface OperatorDirectory {
  /** The address registered for `operatorId`, undefined when none; throws when it cannot be read. */
  addressOf(operatorId: Hex): Promise<Address | undefined>;
}

/** A token bucket: `rate` per second on average, bursts of `rate` (at least 1). */
class TokenBucket {
  #tokens: number;
  #at: number;
  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.#tokens = Math.max(1, rate);
    this.#at = now;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(Math.max(1, this.rate), this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
  }

  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= Math.max(1, this.rate);
  }
}

export interface SessionStoreOptions {
  readonly directory: OperatorDirectory;
  readonly domain: SessionDomain;
  readonly metrics: AggregatorMetrics;
  /** How long a token is valid (default 1 h). */
  readonly lifetimeMs?: number;
  /** Live tokens per operator at most; a new login drops the oldest beyond it (default 4). */
  readonly maxPerOperator?: number;
  /** Logins per second from one client address (bursts of as many). */
  readonly loginRatePerClient: number;
  /** Logins per second from all clients together (bursts of as many). */
  readonly loginRate: number;
  readonly now?: () => number;
}

interface Session {
  readonly operatorId: Hex;
  readonly expiresAtMs: number;
}

/** Client buckets kept before full (idle) ones are forgotten. */
const CLIENT_BUCKETS = 10_000;
const SWEEP_EVERY_MS = 1_000;

/**
 * The aggregator's sessions: logins checked against the registry, and the tokens they grant.
 * A token is looked up by its SHA-256, a constant-cost table lookup whose timing says nothing
 * about how close a guess came. Memory is bounded: a few tokens per registered operator, used
 * nonces only while their login could still be accepted, one rate bucket per recent client.
 */
export class SessionStore {
  readonly #options: SessionStoreOptions;
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #maxPerOperator: number;
  readonly #sessions = new Map<string, Session>();
  /** Per operator, its token hashes, oldest first. */
  readonly #byOperator = new Map<Hex, string[]>();
  /** `operator:nonce` of accepted logins → when that login's issuedAt leaves the accepted window. */
  readonly #nonces = new Map<string, number>();
  readonly #clients = new Map<string, TokenBucket>();
  readonly #global: TokenBucket;
  #sweptAt = 0;

  constructor(options: SessionStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? 3_600_000;
    this.#maxPerOperator = options.maxPerOperator ?? 4;
    this.#global = new TokenBucket(options.loginRate, this.#now());
  }

  /** Live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Called before a login's body is read: LOGIN_RATE_LIMITED when this client, or everyone, logs in too often. */
  admitLogin(client: string): void {
    const now = this.#now();
    let bucket = this.#clients.get(client);
    if (bucket === undefined) {
      if (this.#clients.size >= CLIENT_BUCKETS) this.#forgetIdleClients(now);
      bucket = new TokenBucket(this.#options.loginRatePerClient, now);
      this.#clients.set(client, bucket);
    }
    if (!bucket.take(now)) {
      throw new ResponseRejectedError(
        "LOGIN_RATE_LIMITED",
        `more than ${this.#options.loginRatePerClient} logins per second from ${client}: retry shortly`,
      );
    }
    if (!this.#global.take(now)) {
      throw new ResponseRejectedError(
        "LOGIN_RATE_LIMITED",
        `more than ${this.#options.loginRate} logins per second: retry shortly`,
      );
    }
  }

  /**
   * Checks a login, cheapest first: its shape, its time, its nonce, its signature (one
   * secp256k1 recovery), then the registry (cached). Grants a token or throws
   * ResponseRejectedError (AggregatorUnavailableError when the registry cannot be read).
   */
  async login(body: unknown): Promise<SessionGrant> {
    const request = parseSessionRequest(body);
    const now = this.#now();
    const skewMs = request.issuedAt * 1000 - now;
    if (Math.abs(skewMs) > LOGIN_MAX_SKEW_SECONDS * 1000) {
      throw new ResponseRejectedError(
        "LOGIN_EXPIRED",
        `issuedAt ${request.issuedAt} is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs < 0 ? "behind" : "ahead of"} the aggregator's clock (at most ${LOGIN_MAX_SKEW_SECONDS} s): sign a fresh request, and check the clock`,
      );
    }
    this.#sweep(now);
    const nonceKey = `${request.operator}:${request.nonce}`;
    const replayed = () =>
      new ResponseRejectedError("NONCE_REUSED", `nonce ${request.nonce} was already used to log in`);
    if (this.#nonces.has(nonceKey)) throw replayed();
    if (!(await sessionSignatureValid(request, this.#options.domain))) {
      throw new ResponseRejectedError(
        "AUTH_INVALID",
        `the signature is not ${request.operator}'s over the session message for chain ${this.#options.domain.chainId} and task manager ${this.#options.domain.taskManager}`,
      );
    }
    let registered: Address | undefined;
    try {
      registered = await this.#options.directory.addressOf(request.operatorId);
    } catch (error) {
      throw new AggregatorUnavailableError(
        `cannot read the registry to check operator ${request.operatorId}: ${(error as Error).message.split("\n")[0]}`,
        { cause: error },
      );
    }
    if (registered === undefined || !isAddressEqual(registered, request.operator)) {
      throw new ResponseRejectedError(
        "NOT_AN_OPERATOR",
        registered === undefined
          ? `no operator is registered with id ${request.operatorId}`
          : `${request.operator} is not the address registered for operator ${request.operatorId}`,
      );
    }
    // Checked again: the same request may have been sent twice at once and passed the first check.
    if (this.#nonces.has(nonceKey)) throw replayed();
    this.#nonces.set(nonceKey, request.issuedAt * 1000 + LOGIN_MAX_SKEW_SECONDS * 1000);
    return this.#grant(request.operatorId, this.#now());
  }

  /** The operator a request's `Authorization: Bearer <token>` belongs to, else UNAUTHENTICATED. */
  authenticate(authorization: string | undefined): Hex {
    const token = bearerToken(authorization);
    if (token === undefined) {
      throw new ResponseRejectedError(
        "UNAUTHENTICATED",
        "no session: log in at POST /v1/sessions and send Authorization: Bearer <token>",
      );
    }
    const key = hashOf(token);
    const session = this.#sessions.get(key);
    if (session === undefined) {
      throw new ResponseRejectedError(
        "UNAUTHENTICATED",
        "unknown session token (the aggregator restarted, or a newer login replaced it): log in again",
      );
    }
    if (session.expiresAtMs <= this.#now()) {
      this.#remove(key, session);
      throw new ResponseRejectedError("UNAUTHENTICATED", "the session has expired: log in again", {
        retryable: true,
      });
    }
    return session.operatorId;
  }

  #grant(operatorId: Hex, now: number): SessionGrant {
    const token = randomBytes(32).toString("hex");
    const expiresAt = Math.floor((now + this.#lifetimeMs) / 1000);
    const key = hashOf(token);
    this.#sessions.set(key, { operatorId, expiresAtMs: expiresAt * 1000 });
    const keys = this.#byOperator.get(operatorId) ?? [];
    keys.push(key);
    this.#byOperator.set(operatorId, keys);
    while (keys.length > this.#maxPerOperator) {
      const oldest = keys.shift()!;
      this.#sessions.delete(oldest);
    }
    this.#options.metrics.sessionsCreated.inc();
    this.#options.metrics.sessionsActive.set(this.#sessions.size);
    return { token, expiresAt };
  }

  #remove(key: string, session: Session): void {
    this.#sessions.delete(key);
    const keys = this.#byOperator.get(session.operatorId);
    const at = keys?.indexOf(key) ?? -1;
    if (keys !== undefined && at >= 0) keys.splice(at, 1);
    if (keys?.length === 0) this.#byOperator.delete(session.operatorId);
    this.#options.metrics.sessionsActive.set(this.#sessions.size);
  }

  /** Drops expired sessions and nonces whose logins would be refused as stale anyway. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const [key, until] of this.#nonces) if (until < now) this.#nonces.delete(key);
    for (const [key, session] of this.#sessions) if (session.expiresAtMs <= now) this.#remove(key, session);
  }

  #forgetIdleClients(now: number): void {
    for (const [client, bucket] of this.#clients) if (bucket.full(now)) this.#clients.delete(client);
    // Every bucket busy (many addresses at once): forget the oldest half rather than grow.
    if (this.#clients.size >= CLIENT_BUCKETS) {
      let drop = this.#clients.size / 2;
      for (const client of this.#clients.keys()) {
        if (drop-- <= 0) break;
        this.#clients.delete(client);
      }
    }
  }
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
