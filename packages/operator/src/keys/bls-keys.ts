import { readFile } from "node:fs/promises";
import {
  type BlsKeyPair,
  blsKeystorePublicKey,
  CURVE_ORDER,
  decryptBlsKeystore,
  type G1Point,
  g1ToSolidity,
  g2ToSolidity,
  generateSecretKey,
  KeystoreError,
  KeystoreFileExistsError,
  KeystoreWrongPasswordError,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
  type SolidityG1,
  type SolidityG2,
  writeBlsKeystoreFile,
} from "@avskit/bls";
import type { Hex } from "viem";
import {
  CorruptKeyFileError,
  InvalidSecretKeyInputError,
  KeyExistsError,
  KeyNotFoundError,
  MissingPasswordError,
  WrongPasswordError,
} from "../errors.js";
import {
  ensureKeysDir,
  INSECURE_SCRYPT,
  isMissingFile,
  keyFilePath,
  writeNewSecretFile,
} from "./key-files.js";

/** What can be said about a BLS key; the G2 key only once the file was decrypted. */
export interface BlsKeyInfo {
  readonly type: "bls";
  readonly name: string;
  readonly path: string;
  readonly operatorId: Hex;
  readonly publicKeyG1: SolidityG1;
  readonly publicKeyG2?: SolidityG2;
}

export interface NewKeyOptions {
  readonly keysDir: string;
  readonly name: string;
  readonly password: string;
  /** Faster, weaker scrypt (see INSECURE_SCRYPT): tests and throwaway devnet keys only. */
  readonly insecureKdf?: boolean;
}

function describe(name: string, path: string, keyPair: BlsKeyPair): Required<BlsKeyInfo> {
  return {
    type: "bls",
    name,
    path,
    operatorId: operatorIdFromPublicKey(keyPair.publicKeyG1),
    publicKeyG1: g1ToSolidity(keyPair.publicKeyG1),
    publicKeyG2: g2ToSolidity(keyPair.publicKeyG2),
  };
}

function assertNewPassword(password: string): void {
  if (password === "") throw new MissingPasswordError("a new key", "the password must not be empty");
}

async function writeKey(options: NewKeyOptions, secretKey: bigint): Promise<Required<BlsKeyInfo>> {
  assertNewPassword(options.password);
  const path = keyFilePath(options.keysDir, options.name, "bls");
  await ensureKeysDir(options.keysDir);
  try {
    await writeBlsKeystoreFile(path, secretKey, options.password, options.insecureKdf ? INSECURE_SCRYPT : {});
  } catch (error) {
    if (error instanceof KeystoreFileExistsError) throw new KeyExistsError(path);
    throw error;
  }
  return describe(options.name, path, keyPairFromSecretKey(secretKey));
}

/** Generates a BLS key and stores it as `<keysDir>/<name>.bls.key.json` (eigensdk-go format). */
export function createBlsKey(options: NewKeyOptions): Promise<Required<BlsKeyInfo>> {
  return writeKey(options, generateSecretKey());
}

/**
 * Parses a BLS secret key as people hold them: 0x-hex (32 bytes) or decimal, the form
 * eigensdk-go and eigenlayer-cli print.
 */
export function parseBlsSecretKey(text: string): bigint {
  const trimmed = text.trim();
  let value: bigint;
  if (/^0x[0-9a-fA-F]{1,64}$/.test(trimmed)) value = BigInt(trimmed);
  else if (/^[0-9]{1,78}$/.test(trimmed)) value = BigInt(trimmed);
  else
    throw new InvalidSecretKeyInputError(
      "BLS secret key",
      "expected 0x-hex (up to 32 bytes) or a decimal number",
    );
  if (value === 0n || value >= CURVE_ORDER) {
    throw new InvalidSecretKeyInputError("BLS secret key", "must be in [1, r) of BN254");
  }
  return value;
}

/** Stores a given BLS secret key (see parseBlsSecretKey) under a new name. */
export function importBlsSecretKey(
  options: NewKeyOptions & { secretKey: bigint },
): Promise<Required<BlsKeyInfo>> {
  return writeKey(options, options.secretKey);
}

/**
 * Copies an existing eigensdk-go key file into the keys folder, byte for byte, after checking
 * that it opens with the password (so a typo is caught now, not when the operator starts).
 */
export async function importBlsKeyFile(options: {
  keysDir: string;
  name: string;
  sourcePath: string;
  password: string;
}): Promise<Required<BlsKeyInfo>> {
  const path = keyFilePath(options.keysDir, options.name, "bls");
  const { keyPair, text } = await openBlsKeyFile(options.sourcePath, options.password);
  await ensureKeysDir(options.keysDir);
  await writeNewSecretFile(path, text);
  return describe(options.name, path, keyPair);
}

async function readKeyText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isMissingFile(error)) throw new KeyNotFoundError("BLS key file", path);
    throw error;
  }
}

function mapKeystoreError(path: string, error: unknown): never {
  if (error instanceof KeystoreWrongPasswordError) throw new WrongPasswordError(path, { cause: error });
  if (error instanceof KeystoreError) throw new CorruptKeyFileError(path, error.message, { cause: error });
  throw error;
}

async function openBlsKeyFile(
  path: string,
  password: string,
): Promise<{ keyPair: BlsKeyPair; text: string }> {
  const text = await readKeyText(path);
  try {
    return { keyPair: await decryptBlsKeystore(text, password), text };
  } catch (error) {
    mapKeystoreError(path, error);
  }
}

/** Decrypts a BLS key file. Errors: KeyNotFoundError, WrongPasswordError, CorruptKeyFileError. */
export async function loadBlsKey(path: string, password: string): Promise<BlsKeyPair> {
  return (await openBlsKeyFile(path, password)).keyPair;
}

/** Everything about a key, the G2 public key included (which needs the password). */
export async function showBlsKey(
  name: string,
  path: string,
  password: string,
): Promise<Required<BlsKeyInfo>> {
  return describe(name, path, await loadBlsKey(path, password));
}

/** The G1 public key a file declares and its operatorId, read without the password. */
export async function peekBlsKey(name: string, path: string): Promise<BlsKeyInfo> {
  const text = await readKeyText(path);
  let publicKey: G1Point;
  try {
    publicKey = blsKeystorePublicKey(text);
  } catch (error) {
    mapKeystoreError(path, error);
  }
  return {
    type: "bls",
    name,
    path,
    operatorId: operatorIdFromPublicKey(publicKey),
    publicKeyG1: g1ToSolidity(publicKey),
  };
}
