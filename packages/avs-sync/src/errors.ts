/** Base class of avs-sync's own errors, so callers can tell them from library failures. */
export class AvsSyncError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A combination of options that cannot work together (each option alone was valid). */
export class SyncConfigError extends AvsSyncError {
  readonly flags: readonly string[];
  constructor(flags: readonly string[], problem: string) {
    super(`${flags.join(" with ")}: ${problem}`);
    this.flags = flags;
  }
}

/** `--first-sync-time` is not a valid UTC time of day. */
export class InvalidTimeOfDayError extends AvsSyncError {
  readonly value: string;
  constructor(value: string) {
    super(`"${value}" is not a time of day HH:MM:SS (24-hour clock, UTC), e.g. 03:30:00`);
    this.value = value;
  }
}

/** A quorum asked for with `--quorums` that the registry coordinator does not have. */
export class UnknownQuorumError extends AvsSyncError {
  readonly quorum: number;
  readonly quorumCount: number;
  constructor(quorum: number, quorumCount: number) {
    super(
      `quorum ${quorum} does not exist: the registry coordinator has ${quorumCount} quorum(s) (0..${quorumCount - 1})`,
    );
    this.quorum = quorum;
    this.quorumCount = quorumCount;
  }
}

/** The estimated gas of an update is above `--max-gas-per-tx`: the transaction is not sent. */
export class MaxGasExceededError extends AvsSyncError {
  /** The quorum whose update is too big; undefined for a subset (`--operators`) update. */
  readonly quorum: number | undefined;
  readonly estimatedGas: bigint;
  readonly maxGas: bigint;
  readonly operatorCount: number;
  constructor(target: number | undefined, operatorCount: number, estimatedGas: bigint, maxGas: bigint) {
    const what = target === undefined ? `the update of ${operatorCount} operator(s)` : `quorum ${target}`;
    super(
      `${what} is too big for one transaction: estimated ${estimatedGas} gas for ${operatorCount} operator(s), above --max-gas-per-tx ${maxGas}; not sent`,
    );
    this.quorum = target;
    this.estimatedGas = estimatedGas;
    this.maxGas = maxGas;
    this.operatorCount = operatorCount;
  }
}

/** The update transaction was mined but reverted (typically: the operator set changed meanwhile). */
export class TxRevertedError extends AvsSyncError {
  readonly txHash: string;
  readonly blockNumber: bigint;
  constructor(txHash: string, blockNumber: bigint, what: string) {
    super(`${what}: transaction ${txHash} reverted in block ${blockNumber}`);
    this.txHash = txHash;
    this.blockNumber = blockNumber;
  }
}

/** No receipt within `--writer-timeout-duration`: the transaction may still be mined later. */
export class ReceiptTimeoutError extends AvsSyncError {
  readonly txHash: string;
  readonly timeoutMs: number;
  constructor(txHash: string, timeoutMs: number, options?: ErrorOptions) {
    super(
      `no receipt for transaction ${txHash} within ${timeoutMs} ms (--writer-timeout-duration); its outcome is unknown`,
      options,
    );
    this.txHash = txHash;
    this.timeoutMs = timeoutMs;
  }
}

/** A send that needs a signer was asked for while none was configured. */
export class SignerRequiredError extends AvsSyncError {
  constructor() {
    super(
      "no signer: give --ecdsa-private-key, or --ecdsa-keystore-path with a password (or use --dry-run, which sends nothing)",
    );
  }
}
