import type { PageRejection } from "@avskit/sequencer-protocol";

/**
 * Every error the SDK throws on its own is a SequencerClientError, so an app can tell "the log
 * service failed me" from a bug in its own code with one `instanceof`. Aborting through a caller's
 * AbortSignal is the exception: it rejects with the signal's reason, as `fetch` does.
 */
export class SequencerClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SequencerClientError";
  }
}

/**
 * Why a node's answer was not believed: the library's page and certificate rejections
 * (`PageRejection`: APP_MISMATCH, PREV_HASH_MISMATCH, NOT_CONTIGUOUS, NOT_FINAL, CHAIN_MISMATCH,
 * SNAPSHOT_MISMATCH, UNKNOWN_NON_SIGNER, UNSORTED_NON_SIGNERS, BELOW_THRESHOLD, BAD_SIGNATURE), or
 * one of the client's own.
 */
export type VerificationReason =
  | PageRejection
  /** The reply is not the wire shape (the library's codec refused it; the message names the field). */
  | "MALFORMED"
  /** The page is for another app, or starts after another index than asked. */
  | "WRONG_PAGE"
  /** The node said an id is final at an index whose certified batch has another id. */
  | "ID_MISMATCH";

/** A node's answer failed a check; the client refused that node for a while. */
export class VerificationError extends SequencerClientError {
  readonly reason: VerificationReason;
  readonly node: string;
  constructor(node: string, reason: VerificationReason, detail: string, options?: { cause?: unknown }) {
    super(`${node}: ${reason}: ${detail}`, options);
    this.name = "VerificationError";
    this.reason = reason;
    this.node = node;
  }
}

/**
 * A node was set aside until `until` (epoch ms): it served data that did not verify, or claims
 * another network. Not thrown to the caller (the client fails over); given to `onEvent` and logged.
 */
export class NodeRejectedError extends SequencerClientError {
  readonly node: string;
  readonly until: number;
  override readonly cause: VerificationError;
  constructor(cause: VerificationError, until: number) {
    super(`refusing node ${cause.node} until ${new Date(until).toISOString()}: ${cause.message}`, { cause });
    this.name = "NodeRejectedError";
    this.node = cause.node;
    this.until = until;
    this.cause = cause;
  }
}

/** What went wrong with one node on the last try. */
export interface NodeFailure {
  readonly node: string;
  readonly problem: string;
}

/** No node could serve the request within the client's failover budget. */
export class NoHealthyNodeError extends SequencerClientError {
  readonly failures: readonly NodeFailure[];
  constructor(what: string, failures: readonly NodeFailure[]) {
    const detail = failures.map((f) => `${f.node}: ${f.problem}`).join("; ");
    super(`no healthy node could ${what}${detail ? ` (${detail})` : ""}`);
    this.name = "NoHealthyNodeError";
    this.failures = failures;
  }
}

/** A node refused the batches with a code that sending again cannot fix (too large, bad app, …). */
export class SendRefusedError extends SequencerClientError {
  readonly node: string;
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  constructor(node: string, status: number, code: string, message: string, retryable: boolean) {
    super(`${node} refused the batches: ${code} (HTTP ${status}): ${message}`);
    this.name = "SendRefusedError";
    this.node = node;
    this.status = status;
    this.code = code;
    this.retryable = retryable;
  }
}

/**
 * `send` ran out of `timeoutMs`. `ids` are the batches' ids: when `accepted` is true a node
 * acknowledged them durably and they will be sequenced (exactly once) even though the client
 * stopped waiting for finality; when false they may or may not have reached a node, and sending
 * the same ids again (`send(..., { ids })`) cannot sequence them twice.
 */
export class SendTimeoutError extends SequencerClientError {
  readonly ids: readonly `0x${string}`[];
  readonly accepted: boolean;
  constructor(timeoutMs: number, ids: readonly `0x${string}`[], accepted: boolean) {
    super(
      `send timed out after ${timeoutMs} ms ${accepted ? "waiting for finality (the batches were accepted)" : "before any node accepted the batches"}`,
    );
    this.name = "SendTimeoutError";
    this.ids = ids;
    this.accepted = accepted;
  }
}
