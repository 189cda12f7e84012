import { BlsError } from "./errors.js";

/**
 * Base class of every keystore error, so callers can catch them as one family. No message
 * ever contains the password or any secret material.
 */
export class KeystoreError extends BlsError {}

/** The MAC did not match: the password is wrong (or the ciphertext / mac field was altered). */
export class KeystoreWrongPasswordError extends KeystoreError {
  constructor() {
    super(
      "KEYSTORE_WRONG_PASSWORD",
      "wrong password for BLS keystore (MAC mismatch; a damaged ciphertext or mac field also causes this)",
    );
  }
}

/** The keystore is not well formed: bad JSON, a missing or malformed field, or inconsistent content. */
export class KeystoreCorruptError extends KeystoreError {
  /** JSON path of the offending field, e.g. `crypto.kdfparams.salt`; `(json)` for the document itself. */
  readonly field: string;
  constructor(field: string, detail: string, options?: ErrorOptions, code = "KEYSTORE_CORRUPT") {
    super(code, `corrupt BLS keystore: ${field} ${detail}`, options);
    this.field = field;
  }
}

/** The decrypted secret key does not belong to the `pubKey` the file declares. */
export class KeystorePubKeyMismatchError extends KeystoreCorruptError {
  constructor() {
    super(
      "pubKey",
      "does not match the decrypted secret key (sk·G1 differs)",
      undefined,
      "KEYSTORE_PUBKEY_MISMATCH",
    );
  }
}

/** A well-formed keystore that uses a KDF, cipher or parameter set this package does not support. */
export class KeystoreUnsupportedError extends KeystoreError {
  /** What is unsupported, e.g. `kdf`, `cipher`, `pbkdf2 prf`, `scrypt cost`. */
  readonly feature: string;
  /** The value found in the file (truncated for display). */
  readonly value: string;
  constructor(feature: string, value: string, detail: string) {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    super("KEYSTORE_UNSUPPORTED", `unsupported BLS keystore ${feature} ${JSON.stringify(shown)}: ${detail}`);
    this.feature = feature;
    this.value = shown;
  }
}

/** Writing would replace an existing file and `overwrite` was not requested. */
export class KeystoreFileExistsError extends KeystoreError {
  readonly path: string;
  constructor(path: string) {
    super(
      "KEYSTORE_FILE_EXISTS",
      `refusing to overwrite existing keystore file ${path} (pass { overwrite: true })`,
    );
    this.path = path;
  }
}

/** A caller-supplied argument (password type, encryption option) is invalid. */
export class KeystoreInvalidArgumentError extends KeystoreError {
  readonly argument: string;
  constructor(argument: string, detail: string) {
    super("KEYSTORE_INVALID_ARGUMENT", `invalid keystore argument ${argument}: ${detail}`);
    this.argument = argument;
  }
}
