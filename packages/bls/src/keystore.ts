import { bigIntToBytes, bytesToBigInt } from "./bytes.js";
import { CURVE_ORDER, type G1Point } from "./curve.js";
import { type BlsKeyPair, keyPairFromSecretKey, publicKeyG1 } from "./keys.js";
import {
  decryptSecretStorage,
  encryptSecretStorage,
  type KeystorePassword,
  passwordBytes,
  type SecretStorageEncryptOptions,
  type Web3SecretStorageCrypto,
} from "./keystore-crypto.js";
import { KeystoreCorruptError, KeystorePubKeyMismatchError } from "./keystore-errors.js";
import { asObject, type JsonObject, readString, structMember } from "./keystore-json.js";
import { formatKeystorePubKey, parseKeystorePubKey } from "./keystore-pubkey.js";

/**
 * eigensdk-go's BLS key file (`*.bls.key.json`): the G1 public key in the clear, so keys can be
 * listed without the password, and the 32-byte big-endian secret in a Web3 Secret Storage v3
 * `crypto` object.
 */
export interface BlsKeystoreJson {
  pubKey: string;
  crypto: Web3SecretStorageCrypto;
}

export type BlsKeystoreEncryptOptions = SecretStorageEncryptOptions;

const SECRET_KEY_LENGTH = 32;

/** Encrypts a secret key into the eigensdk-go format (geth's standard scrypt cost by default). */
export async function encryptBlsKeystore(
  secretKey: bigint,
  password: KeystorePassword,
  options?: BlsKeystoreEncryptOptions,
): Promise<BlsKeystoreJson> {
  const pubKey = formatKeystorePubKey(publicKeyG1(secretKey));
  const plaintext = bigIntToBytes(secretKey, SECRET_KEY_LENGTH);
  try {
    return { pubKey, crypto: await encryptSecretStorage(plaintext, password, options) };
  } finally {
    plaintext.fill(0);
  }
}

/** The file's text as eigensdk-go's json.Marshal produces it (compact, same member order). */
export function serializeBlsKeystore(keystore: BlsKeystoreJson): string {
  return JSON.stringify({ pubKey: keystore.pubKey, crypto: keystore.crypto });
}

function parseDocument(json: unknown): JsonObject {
  let value = json;
  if (value instanceof Uint8Array) {
    try {
      value = new TextDecoder("utf-8", { fatal: true }).decode(value);
    } catch {
      throw new KeystoreCorruptError("(json)", "is not valid UTF-8");
    }
  }
  if (typeof value === "string") {
    try {
      // The parser's own message quotes the input, so it is not passed on.
      value = JSON.parse(value.replace(/^\uFEFF/, ""));
    } catch {
      throw new KeystoreCorruptError("(json)", "is not valid JSON");
    }
  }
  return asObject(value, "(json)");
}

function declaredPubKey(document: JsonObject): G1Point {
  const raw = structMember(document, "pubKey");
  if (raw === undefined || raw === null || raw === "") {
    // eigensdk-go checks this too: an ECDSA keystore has the same crypto object but no pubKey.
    throw new KeystoreCorruptError(
      "pubKey",
      "is missing (an ECDSA key file has no pubKey: is this a BLS key file?)",
    );
  }
  return parseKeystorePubKey(readString(raw, "pubKey"));
}

/** The public key a keystore declares, read without the password (not yet proven to match). */
export function blsKeystorePublicKey(json: unknown): G1Point {
  return declaredPubKey(parseDocument(json));
}

/**
 * Decrypts an eigensdk-go BLS key file (parsed JSON, its text, or its bytes). Every field is
 * validated before the KDF runs. The secret must lie in [1, r): eigensdk-go itself never
 * writes anything else (it would silently reduce a larger value), so a larger one means a
 * damaged or foreign file. The declared pubKey must equal sk·G1.
 */
export async function decryptBlsKeystore(json: unknown, password: KeystorePassword): Promise<BlsKeyPair> {
  passwordBytes(password);
  const document = parseDocument(json);
  const declared = declaredPubKey(document);
  const plaintext = await decryptSecretStorage(structMember(document, "crypto"), password, {
    plaintextLength: SECRET_KEY_LENGTH,
  });
  let secretKey: bigint;
  try {
    secretKey = bytesToBigInt(plaintext);
  } finally {
    plaintext.fill(0);
  }
  if (secretKey === 0n || secretKey >= CURVE_ORDER) {
    throw new KeystoreCorruptError("crypto.ciphertext", "decrypts to a secret key outside [1, r) of BN254");
  }
  const keyPair = keyPairFromSecretKey(secretKey);
  if (!keyPair.publicKeyG1.equals(declared)) throw new KeystorePubKeyMismatchError();
  return keyPair;
}
