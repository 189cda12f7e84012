/** Base class of this package's errors: `code` tells them apart without instanceof. */
export class IntegrationError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A transaction the helpers sent was mined but reverted. */
export class TransactionRevertedError extends IntegrationError {
  readonly what: string;
  readonly hash: string;

  constructor(what: string, hash: string) {
    super("TX_REVERTED", `${what} reverted (transaction ${hash})`);
    this.what = what;
    this.hash = hash;
  }
}

/** A helper was given input it cannot act on (unknown strategy, empty quorum list, ...). */
export class InvalidHelperInputError extends IntegrationError {
  constructor(message: string) {
    super("INVALID_INPUT", message);
  }
}

/** The chain did not contain what the helper expected (no event, no operator state, ...). */
export class UnexpectedChainStateError extends IntegrationError {
  constructor(message: string) {
    super("UNEXPECTED_CHAIN_STATE", message);
  }
}
