import { ctr } from "@noble/ciphers/aes.js";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js";
import { concatBytes } from "./bytes.js";
import {
  KeystoreCorruptError,
  KeystoreInvalidArgumentError,
  KeystoreUnsupportedError,
  KeystoreWrongPasswordError,
} from "./keystore-errors.js";
import {
  asObject,
  type JsonObject,
  mapMember,
  readHex,
  readInteger,
  readString,
  structMember,
} from "./keystore-json.js";

/**
 * The `crypto` object of a Web3 Secret Storage v3 keystore, as geth's keystore.EncryptDataV3
 * writes it (and so eigensdk-go): scrypt, AES-128-CTR, MAC = keccak256(dk[16..32] ‖ ciphertext).
 * Members are declared in geth's JSON order so that serialising reproduces its files.
 */
export interface Web3SecretStorageCrypto {
  cipher: "aes-128-ctr";
  ciphertext: string;
  cipherparams: { iv: string };
  kdf: "scrypt";
  kdfparams: ScryptKdfParams;
  mac: string;
}

/** geth marshals kdfparams from a Go map, so its keys come out sorted. */
export interface ScryptKdfParams {
  dklen: number;
  n: number;
  p: number;
  r: number;
  salt: string;
}

/**
 * A password as eigensdk-go uses it: the raw bytes, no Unicode normalisation (geth's
 * DecryptDataV3 takes `[]byte(password)`). Strings are UTF-8 encoded; pass bytes for a
 * password that is not valid UTF-8.
 */
export type KeystorePassword = string | Uint8Array;

export interface SecretStorageEncryptOptions {
  /** scrypt CPU/memory cost, a power of two; default 262144 (geth's StandardScryptN). */
  n?: number;
  /** scrypt block size; default 8. */
  r?: number;
  /** scrypt parallelism; default 1 (geth's StandardScryptP). */
  p?: number;
  /** Fixed salt (≥ 16 bytes) to reproduce a known file; default 32 random bytes. Never reuse one. */
  salt?: Uint8Array;
  /** Fixed 16-byte IV to reproduce a known file; default random. Never reuse one. */
  iv?: Uint8Array;
}

export interface SecretStorageDecryptOptions {
  /** Refuse, before the expensive KDF, a ciphertext of any other length. */
  plaintextLength?: number;
}

/** geth's "standard" scrypt parameters, which eigensdk-go always uses when it writes a key. */
export const STANDARD_SCRYPT_PARAMS: Readonly<{ n: number; r: number; p: number }> = Object.freeze({
  n: 262144,
  r: 8,
  p: 1,
});

const DERIVED_KEY_LENGTH = 32;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const MIN_WRITE_SALT_LENGTH = 16;
// Limits that keep a hostile or damaged file from pinning the process for minutes or
// exhausting memory; they sit well above anything geth, eigensdk-go or ethers writes.
const MAX_SCRYPT_MEMORY_BYTES = 1024 ** 3;
const MAX_SCRYPT_WORK = 2 ** 24; // n·r·p: 8× geth's standard 2^21
const MAX_PBKDF2_ITERATIONS = 2 ** 22; // 16× the customary 262144

type KdfSpec =
  | { kind: "scrypt"; n: number; r: number; p: number; salt: Uint8Array }
  | { kind: "pbkdf2"; c: number; salt: Uint8Array };

/** A validated `crypto` object, ready to decrypt. */
export interface ParsedSecretStorage {
  kdf: KdfSpec;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  mac: Uint8Array;
}

export function passwordBytes(password: KeystorePassword): Uint8Array {
  if (password instanceof Uint8Array) return password;
  if (typeof password !== "string")
    throw new KeystoreInvalidArgumentError("password", "must be a string or Uint8Array");
  // A lone surrogate has no UTF-8 form; encoding would silently turn it into U+FFFD.
  if (/\p{Cs}/u.test(password))
    throw new KeystoreInvalidArgumentError("password", "contains a lone UTF-16 surrogate");
  return new TextEncoder().encode(password);
}

function scryptShapeProblem(n: number): string | undefined {
  return n >= 2 && Number.isInteger(Math.log2(n)) ? undefined : "must be a power of two ≥ 2";
}

function scryptCostProblem(n: number, r: number, p: number): string | undefined {
  const memory = 128 * r * (n + p);
  if (memory > MAX_SCRYPT_MEMORY_BYTES)
    return `needs ${Math.ceil(memory / 2 ** 20)} MiB, over the 1024 MiB limit`;
  if (n * r * p > MAX_SCRYPT_WORK) return `n·r·p = ${n * r * p} is over the limit ${MAX_SCRYPT_WORK}`;
  return undefined;
}

function parseKdf(crypto: JsonObject): KdfSpec {
  const name = readString(structMember(crypto, "kdf"), "crypto.kdf");
  if (name !== "scrypt" && name !== "pbkdf2") {
    throw new KeystoreUnsupportedError("kdf", name, "supported: scrypt, pbkdf2");
  }
  const params = asObject(structMember(crypto, "kdfparams"), "crypto.kdfparams");
  const at = (member: string) => `crypto.kdfparams.${member}`;
  // Only the first 32 derived bytes are ever used; both KDFs end in PBKDF2-HMAC-SHA256, whose
  // output blocks are independent, so deriving 32 bytes equals the prefix of a longer dklen.
  readInteger(mapMember(params, "dklen"), at("dklen"), DERIVED_KEY_LENGTH);
  const salt = readHex(mapMember(params, "salt"), at("salt"));
  if (name === "scrypt") {
    const n = readInteger(mapMember(params, "n"), at("n"), 2);
    const shape = scryptShapeProblem(n);
    if (shape) throw new KeystoreCorruptError(at("n"), shape);
    const r = readInteger(mapMember(params, "r"), at("r"), 1);
    const p = readInteger(mapMember(params, "p"), at("p"), 1);
    const cost = scryptCostProblem(n, r, p);
    if (cost) throw new KeystoreUnsupportedError("scrypt cost", `n=${n} r=${r} p=${p}`, cost);
    return { kind: "scrypt", n, r, p, salt };
  }
  const prf = readString(mapMember(params, "prf"), at("prf"));
  if (prf !== "hmac-sha256") throw new KeystoreUnsupportedError("pbkdf2 prf", prf, "supported: hmac-sha256");
  const c = readInteger(mapMember(params, "c"), at("c"), 1);
  if (c > MAX_PBKDF2_ITERATIONS) {
    throw new KeystoreUnsupportedError("pbkdf2 cost", String(c), `over the limit ${MAX_PBKDF2_ITERATIONS}`);
  }
  return { kind: "pbkdf2", c, salt };
}

/**
 * Validates a `crypto` object without the password: every field is checked before any KDF
 * work, so a damaged file fails fast with the field named. Member names match
 * case-insensitively as Go's encoding/json does; kdfparams keys are exact (a Go map).
 */
export function parseSecretStorageCrypto(value: unknown): ParsedSecretStorage {
  const crypto = asObject(value, "crypto");
  const cipher = readString(structMember(crypto, "cipher"), "crypto.cipher");
  if (cipher !== "aes-128-ctr")
    throw new KeystoreUnsupportedError("cipher", cipher, "supported: aes-128-ctr");
  const kdf = parseKdf(crypto);
  const ciphertext = readHex(structMember(crypto, "ciphertext"), "crypto.ciphertext");
  if (ciphertext.length === 0) throw new KeystoreCorruptError("crypto.ciphertext", "is empty");
  const cipherparams = asObject(structMember(crypto, "cipherparams"), "crypto.cipherparams");
  const iv = readHex(structMember(cipherparams, "iv"), "crypto.cipherparams.iv", IV_LENGTH);
  const mac = readHex(structMember(crypto, "mac"), "crypto.mac", MAC_LENGTH);
  return { kdf, iv, ciphertext, mac };
}

async function deriveKey(password: Uint8Array, kdf: KdfSpec): Promise<Uint8Array> {
  if (kdf.kind === "scrypt") {
    return scryptAsync(password, kdf.salt, { N: kdf.n, r: kdf.r, p: kdf.p, dkLen: DERIVED_KEY_LENGTH });
  }
  return pbkdf2Async(sha256, password, kdf.salt, { c: kdf.c, dkLen: DERIVED_KEY_LENGTH });
}

function macOf(derivedKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(derivedKey.subarray(16, 32), ciphertext));
}

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function aesCtr(derivedKey: Uint8Array, iv: Uint8Array, input: Uint8Array): Uint8Array {
  const aesKey = derivedKey.slice(0, 16);
  try {
    return ctr(aesKey, iv).encrypt(input);
  } finally {
    aesKey.fill(0);
  }
}

/** Decrypts a Web3 Secret Storage v3 `crypto` object; a MAC mismatch is KeystoreWrongPasswordError. */
export async function decryptSecretStorage(
  crypto: unknown,
  password: KeystorePassword,
  options: SecretStorageDecryptOptions = {},
): Promise<Uint8Array> {
  const passphrase = passwordBytes(password);
  const parsed = parseSecretStorageCrypto(crypto);
  const expected = options.plaintextLength;
  if (expected !== undefined && parsed.ciphertext.length !== expected) {
    throw new KeystoreCorruptError(
      "crypto.ciphertext",
      `must be ${expected} bytes, got ${parsed.ciphertext.length}`,
    );
  }
  const derivedKey = await deriveKey(passphrase, parsed.kdf);
  try {
    if (!equalConstantTime(macOf(derivedKey, parsed.ciphertext), parsed.mac))
      throw new KeystoreWrongPasswordError();
    return aesCtr(derivedKey, parsed.iv, parsed.ciphertext);
  } finally {
    derivedKey.fill(0);
  }
}

function optionalInteger(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new KeystoreInvalidArgumentError(`options.${name}`, `must be an integer ≥ ${min}`);
  }
  return value;
}

function optionalBytes(value: unknown, name: string, check: (length: number) => boolean, rule: string) {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || !check(value.length)) {
    throw new KeystoreInvalidArgumentError(`options.${name}`, `must be a Uint8Array of ${rule}`);
  }
  return value;
}

/** Encrypts `plaintext` into a `crypto` object exactly as geth's EncryptDataV3 lays it out. */
export async function encryptSecretStorage(
  plaintext: Uint8Array,
  password: KeystorePassword,
  options: SecretStorageEncryptOptions = {},
): Promise<Web3SecretStorageCrypto> {
  if (!(plaintext instanceof Uint8Array) || plaintext.length === 0) {
    throw new KeystoreInvalidArgumentError("plaintext", "must be a non-empty Uint8Array");
  }
  const passphrase = passwordBytes(password);
  if (typeof options !== "object" || options === null) {
    throw new KeystoreInvalidArgumentError("options", "must be an object");
  }
  const n = optionalInteger(options.n, "n", STANDARD_SCRYPT_PARAMS.n, 2);
  const r = optionalInteger(options.r, "r", STANDARD_SCRYPT_PARAMS.r, 1);
  const p = optionalInteger(options.p, "p", STANDARD_SCRYPT_PARAMS.p, 1);
  const shape = scryptShapeProblem(n);
  if (shape) throw new KeystoreInvalidArgumentError("options.n", shape);
  const cost = scryptCostProblem(n, r, p);
  if (cost) throw new KeystoreInvalidArgumentError("options.n/r/p", cost);
  const salt =
    optionalBytes(
      options.salt,
      "salt",
      (l) => l >= MIN_WRITE_SALT_LENGTH,
      `at least ${MIN_WRITE_SALT_LENGTH} bytes`,
    ) ?? randomBytes(32);
  const iv =
    optionalBytes(options.iv, "iv", (l) => l === IV_LENGTH, `${IV_LENGTH} bytes`) ?? randomBytes(IV_LENGTH);

  const derivedKey = await scryptAsync(passphrase, salt, { N: n, r, p, dkLen: DERIVED_KEY_LENGTH });
  try {
    const ciphertext = aesCtr(derivedKey, iv, plaintext);
    return {
      cipher: "aes-128-ctr",
      ciphertext: bytesToHex(ciphertext),
      cipherparams: { iv: bytesToHex(iv) },
      kdf: "scrypt",
      kdfparams: { dklen: DERIVED_KEY_LENGTH, n, p, r, salt: bytesToHex(salt) },
      mac: bytesToHex(macOf(derivedKey, ciphertext)),
    };
  } finally {
    derivedKey.fill(0);
  }
}
