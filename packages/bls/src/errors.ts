/** Base class of every error this package throws; `code` is stable and machine-readable. */
export class BlsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export type InvalidPointReason =
  | "out-of-range"
  | "not-on-curve"
  | "not-in-subgroup"
  | "infinity"
  | "bad-length";

/** A point given in bytes or Solidity form that is not a valid, non-zero group element. */
export class InvalidPointError extends BlsError {
  readonly group: "G1" | "G2";
  readonly reason: InvalidPointReason;
  constructor(group: "G1" | "G2", reason: InvalidPointReason, detail: string) {
    super(`INVALID_${group}_POINT`, `invalid ${group} point (${reason}): ${detail}`);
    this.group = group;
    this.reason = reason;
  }
}

/** A secret key that is zero, not below the group order, or of the wrong length. */
export class InvalidSecretKeyError extends BlsError {
  constructor(detail: string) {
    super("INVALID_SECRET_KEY", `invalid BLS secret key: ${detail}`);
  }
}

/** A message digest that is not exactly 32 bytes. */
export class InvalidDigestError extends BlsError {
  constructor(length: number) {
    super("INVALID_DIGEST", `a BLS message digest must be 32 bytes, got ${length}`);
  }
}
