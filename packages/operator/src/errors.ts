/**
 * Base of the operator's own errors. Messages never hold a key or a password; each subclass
 * names one way things go wrong so callers (the CLI, the devnet) can branch on the class.
 */
export class OperatorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A key name that could escape the keys folder or is not a plain file name. */
export class InvalidKeyNameError extends OperatorError {
  readonly keyName: string;
  constructor(keyName: string) {
    super(
      `invalid key name ${JSON.stringify(keyName)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
    this.keyName = keyName;
  }
}

export class KeyNotFoundError extends OperatorError {
  readonly path: string;
  constructor(what: string, path: string) {
    super(`no ${what} at ${path} (create one with \`avskit-operator keys create\`, or check --keys-dir)`);
    this.path = path;
  }
}

export class KeyExistsError extends OperatorError {
  readonly path: string;
  constructor(path: string) {
    super(`a key file already exists at ${path}: refusing to overwrite it (pick another name)`);
    this.path = path;
  }
}

/** No password was supplied where one is required. */
export class MissingPasswordError extends OperatorError {
  constructor(what: string, sources: string) {
    super(`${what} needs a password: ${sources}`);
  }
}

export class WrongPasswordError extends OperatorError {
  readonly path: string;
  constructor(path: string, options?: ErrorOptions) {
    super(`wrong password for the key file ${path}`, options);
    this.path = path;
  }
}

/** A key file that is not JSON, not the expected format, or damaged. */
export class CorruptKeyFileError extends OperatorError {
  readonly path: string;
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`cannot use the key file ${path}: ${problem}`, options);
    this.path = path;
  }
}

/** A file named by the user (password file, secret file) that cannot be read. */
export class UnreadableFileError extends OperatorError {
  readonly path: string;
  constructor(what: string, path: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
    super(`cannot read the ${what} ${path}: ${reason}`, { cause });
    this.path = path;
  }
}

/** A secret key given for import that is not a valid key of its kind. */
export class InvalidSecretKeyInputError extends OperatorError {
  constructor(what: string, problem: string) {
    super(`the ${what} to import is not valid: ${problem}`);
  }
}

/** Options that cannot be used together, or an option that needs another. */
export class InvalidUsageError extends OperatorError {}

/** The ECDSA key given to `run` is not the address the registry holds for the BLS key's operator id. */
export class EcdsaKeyMismatchError extends OperatorError {
  constructor(operatorId: string, given: string, registered: string) {
    super(
      `the ECDSA key's address ${given} is not operator ${operatorId}'s registered address ${registered}: the aggregator would refuse its logins (give --ecdsa-key the key the operator registered with)`,
    );
  }
}

/** A transaction (or its simulation) reverted; `errorName` is the decoded custom error, if any. */
export class TransactionRevertedError extends OperatorError {
  readonly step: string;
  readonly errorName: string | undefined;
  readonly errorArgs: readonly unknown[];
  readonly transactionHash: `0x${string}` | undefined;
  constructor(
    step: string,
    detail: {
      errorName?: string | undefined;
      errorArgs?: readonly unknown[];
      reason?: string | undefined;
      transactionHash?: `0x${string}` | undefined;
    },
    options?: ErrorOptions,
  ) {
    const args = detail.errorArgs?.length ? `(${detail.errorArgs.map(formatArg).join(", ")})` : "";
    const what = detail.errorName
      ? `${detail.errorName}${args}`
      : (detail.reason ?? "reverted without a decodable reason");
    const tx = detail.transactionHash ? ` [tx ${detail.transactionHash}]` : "";
    super(`${step} failed: the contract reverted with ${what}${tx}`, options);
    this.step = step;
    this.errorName = detail.errorName;
    this.errorArgs = detail.errorArgs ?? [];
    this.transactionHash = detail.transactionHash;
  }
}

function formatArg(value: unknown): string {
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

/** The operator's registration state does not allow the requested action. */
export class RegistrationStateError extends OperatorError {}

/** The operator's token balance does not cover the deposit. */
export class InsufficientBalanceError extends OperatorError {
  readonly needed: bigint;
  readonly available: bigint;
  constructor(token: string, needed: bigint, available: bigint) {
    super(`the operator holds ${available} base units of token ${token}, but the deposit needs ${needed}`);
    this.needed = needed;
    this.available = available;
  }
}

/** Errors that mean the command line asked for something impossible (exit 2), not a failure. */
export function isOperatorUsageError(error: unknown): boolean {
  return error instanceof InvalidUsageError || error instanceof InvalidKeyNameError;
}
