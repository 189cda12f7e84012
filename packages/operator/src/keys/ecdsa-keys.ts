import { readFile } from "node:fs/promises";
import {
  encryptEcdsaKeystore,
  InvalidKeystoreError,
  InvalidPrivateKeyError,
  loadSigner,
  SignerFileUnreadableError,
  WrongKeystorePasswordError,
} from "@avskit/runtime";
import { type Account, type Address, getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  CorruptKeyFileError,
  InvalidSecretKeyInputError,
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

export interface EcdsaKeyInfo {
  readonly type: "ecdsa";
  readonly name: string;
  readonly path: string;
  /** Undefined only for a keystore that does not declare its address (rare; geth always does). */
  readonly address: Address | undefined;
}

export interface NewEcdsaKeyOptions {
  readonly keysDir: string;
  readonly name: string;
  readonly password: string;
  readonly insecureKdf?: boolean;
}

async function writeKey(options: NewEcdsaKeyOptions, privateKey: Hex): Promise<EcdsaKeyInfo> {
  if (options.password === "") throw new MissingPasswordError("a new key", "the password must not be empty");
  const path = keyFilePath(options.keysDir, options.name, "ecdsa");
  const account = privateKeyToAccount(privateKey);
  const keystore = await encryptEcdsaKeystore(
    privateKey,
    options.password,
    options.insecureKdf ? INSECURE_SCRYPT : undefined,
  );
  await ensureKeysDir(options.keysDir);
  await writeNewSecretFile(path, JSON.stringify(keystore));
  return { type: "ecdsa", name: options.name, path, address: account.address };
}

/** Generates a transaction-signing key into a geth-style keystore `<keysDir>/<name>.ecdsa.key.json`. */
export function createEcdsaKey(options: NewEcdsaKeyOptions): Promise<EcdsaKeyInfo> {
  return writeKey(options, generatePrivateKey());
}

/** A secp256k1 private key as 64 hex digits, with or without 0x. */
export function parseEcdsaPrivateKey(text: string): Hex {
  const trimmed = text.trim();
  const hex = (trimmed.startsWith("0x") ? trimmed : `0x${trimmed}`) as Hex;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InvalidSecretKeyInputError("ECDSA private key", "expected 32 bytes as 64 hex digits");
  }
  try {
    privateKeyToAccount(hex);
  } catch {
    throw new InvalidSecretKeyInputError("ECDSA private key", "not a valid secp256k1 private key");
  }
  return hex;
}

export function importEcdsaPrivateKey(
  options: NewEcdsaKeyOptions & { privateKey: Hex },
): Promise<EcdsaKeyInfo> {
  return writeKey(options, options.privateKey);
}

/** Copies an existing geth-style keystore after checking that it opens with the password. */
export async function importEcdsaKeyFile(options: {
  keysDir: string;
  name: string;
  sourcePath: string;
  password: string;
}): Promise<EcdsaKeyInfo> {
  const account = await loadEcdsaKey(options.sourcePath, options.password);
  const text = await readFile(options.sourcePath, "utf8");
  const path = keyFilePath(options.keysDir, options.name, "ecdsa");
  await ensureKeysDir(options.keysDir);
  await writeNewSecretFile(path, text);
  return { type: "ecdsa", name: options.name, path, address: account.address };
}

/** Decrypts a keystore. Errors: KeyNotFoundError, WrongPasswordError, CorruptKeyFileError. */
export async function loadEcdsaKey(path: string, password: string): Promise<Account> {
  try {
    return await loadSigner({ keystorePath: path, password });
  } catch (error) {
    if (error instanceof SignerFileUnreadableError && isMissingFile(error.cause)) {
      throw new KeyNotFoundError("ECDSA keystore", path);
    }
    if (error instanceof WrongKeystorePasswordError) throw new WrongPasswordError(path, { cause: error });
    if (error instanceof InvalidKeystoreError || error instanceof InvalidPrivateKeyError) {
      throw new CorruptKeyFileError(path, error.message, { cause: error });
    }
    throw error;
  }
}

/** The address a keystore declares, read without the password. */
export async function peekEcdsaKey(name: string, path: string): Promise<EcdsaKeyInfo> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isMissingFile(error)) throw new KeyNotFoundError("ECDSA keystore", path);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CorruptKeyFileError(path, "not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CorruptKeyFileError(path, "must be a JSON object");
  }
  const declared = (json as Record<string, unknown>).address;
  if (declared === undefined) return { type: "ecdsa", name, path, address: undefined };
  if (typeof declared !== "string") throw new CorruptKeyFileError(path, "address must be a string");
  try {
    return {
      type: "ecdsa",
      name,
      path,
      address: getAddress(declared.startsWith("0x") ? declared : `0x${declared}`),
    };
  } catch {
    throw new CorruptKeyFileError(path, `address ${JSON.stringify(declared)} is not an address`);
  }
}
