/** The one base of every error this library throws, so callers can tell its refusals apart. */
export class SequencerProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A network that cannot be built: duplicate members, zero total stake, a bad threshold… */
export class NetworkError extends SequencerProtocolError {}

/** A static network file that does not parse or whose keys do not hold; names member and field. */
export class NetworkFileError extends NetworkError {
  /** The member's index in the file's `members`, when the problem is one member's. */
  readonly memberIndex: number | undefined;
  /** The JSON path of the offending field, e.g. `members[2].proofOfPossession`. */
  readonly field: string;
  constructor(field: string, message: string, memberIndex?: number) {
    super(`${field}: ${message}`);
    this.field = field;
    this.memberIndex = memberIndex;
  }
}

/** A JSON body that does not have the shape its codec expects; `field` is its JSON path. */
export class WireFormatError extends SequencerProtocolError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field === "" ? "(body)" : field}: ${message}`);
    this.field = field;
  }
}

/** Why a certificate is not valid for a network (see `checkCertificate`). */
export type CertificateRejection =
  | "SNAPSHOT_MISMATCH"
  | "UNKNOWN_NON_SIGNER"
  | "UNSORTED_NON_SIGNERS"
  | "BELOW_THRESHOLD"
  | "BAD_SIGNATURE";

export class CertificateError extends SequencerProtocolError {
  readonly reason: CertificateRejection;
  constructor(reason: CertificateRejection, message: string) {
    super(`${reason}: ${message}`);
    this.reason = reason;
  }
}
