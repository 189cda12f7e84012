/** Base of every error this package throws. */
export class SequencerE2eError extends Error {
  override readonly name: string = "SequencerE2eError";
}

/** A node process did not come up, died, or answered what the protocol does not allow. */
export class ClusterError extends SequencerE2eError {
  override readonly name = "ClusterError";
}

/**
 * What the continuous checker saw that must never happen: two chaining hashes at one finalized
 * index, a finalized index that went down, a page whose chain does not lead to its certificate.
 */
export class InvariantViolationError extends SequencerE2eError {
  override readonly name = "InvariantViolationError";
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(`${message}: ${JSON.stringify(details)}`);
  }
}
