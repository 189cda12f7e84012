import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  decryptSecretStorage,
  encryptSecretStorage,
  KeystoreError,
  KeystoreWrongPasswordError,
  type SecretStorageEncryptOptions,
} from "@avskit/bls";
import { type Account, bytesToHex, getAddress, type Hex, hexToBytes, isHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * Where a service's ECDSA signer comes from: a raw private key, or a keystore file with its
 * password given directly (from an env var) or in a file. Exactly one of the two sources.
 */
export interface SignerSource {
  readonly privateKey?: Hex | undefined;
  readonly keystorePath?: string | undefined;
  readonly password?: string | undefined;
  readonly passwordFile?: string | undefined;
  /** How the service spells each source, for error messages (e.g. "--ecdsa-private-key"). */
  readonly names?: Partial<SignerOptionNames>;
}

export interface SignerOptionNames {
  privateKey: string;
  keystorePath: string;
  password: string;
  passwordFile: string;
}

const DEFAULT_NAMES: SignerOptionNames = {
  privateKey: "privateKey",
  keystorePath: "keystorePath",
  password: "password",
  passwordFile: "passwordFile",
};

/** Base of the signer errors; no message ever holds a key or a password. */
export class SignerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NoSignerError extends SignerError {
  constructor(names: SignerOptionNames) {
    super(`no signer given: set ${names.privateKey}, or ${names.keystorePath} with a password`);
  }
}

/** Two sources of the same thing (key and keystore, or password and password file). */
export class ConflictingSignerSourcesError extends SignerError {
  readonly sources: readonly [string, string];
  constructor(first: string, second: string) {
    super(`${first} and ${second} were both given: choose one`);
    this.sources = [first, second];
  }
}

export class MissingKeystorePasswordError extends SignerError {
  constructor(names: SignerOptionNames) {
    super(`${names.keystorePath} needs a password: set ${names.password} or ${names.passwordFile}`);
  }
}

export class SignerFileUnreadableError extends SignerError {
  readonly path: string;
  constructor(what: "keystore" | "password file", path: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
    super(`cannot read the ${what} ${path}: ${reason}`, { cause });
    this.path = path;
  }
}

export class WrongKeystorePasswordError extends SignerError {
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`wrong password for the keystore ${path}`, { cause });
    this.path = path;
  }
}

/** Not a geth-style v3 keystore, or damaged. */
export class InvalidKeystoreError extends SignerError {
  readonly path: string;
  constructor(path: string, problem: string, options?: ErrorOptions) {
    super(`invalid keystore ${path}: ${problem}`, options);
    this.path = path;
  }
}

export class InvalidPrivateKeyError extends SignerError {
  constructor(where: string) {
    super(`${where} is not a valid secp256k1 private key (32 bytes, non-zero, below the curve order)`);
  }
}

/** geth's keystore file (what `geth account new`, eigenlayer-cli and eigensdk write for ECDSA keys). */
export interface EcdsaKeystoreJson {
  address: string;
  crypto: Awaited<ReturnType<typeof encryptSecretStorage>>;
  id: string;
  version: 3;
}

function accountFromKey(key: Hex, where: string): Account {
  if (!isHex(key) || key.length !== 66) throw new InvalidPrivateKeyError(where);
  try {
    return privateKeyToAccount(key);
  } catch {
    throw new InvalidPrivateKeyError(where);
  }
}

async function readText(what: "keystore" | "password file", path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new SignerFileUnreadableError(what, path, error);
  }
}

async function passwordOf(source: SignerSource, names: SignerOptionNames): Promise<string> {
  const hasPassword = source.password !== undefined;
  const hasFile = source.passwordFile !== undefined && source.passwordFile !== "";
  if (hasPassword && hasFile) throw new ConflictingSignerSourcesError(names.password, names.passwordFile);
  if (hasFile) {
    // Editors and `echo` add one newline; a password rarely ends with one on purpose.
    return (await readText("password file", source.passwordFile!)).replace(/\r?\n$/, "");
  }
  if (hasPassword) return source.password!;
  throw new MissingKeystorePasswordError(names);
}

function parseKeystore(text: string, path: string): { address: string | undefined; crypto: unknown } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidKeystoreError(path, "not JSON", { cause: error });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidKeystoreError(path, "must be a JSON object");
  }
  const file = json as Record<string, unknown>;
  if (file.version !== 3)
    throw new InvalidKeystoreError(path, `version must be 3, got ${JSON.stringify(file.version)}`);
  // geth reads the member case-insensitively; some older tools wrote "Crypto".
  const crypto = file.crypto ?? file.Crypto;
  if (crypto === undefined) throw new InvalidKeystoreError(path, "has no crypto member");
  const address = file.address;
  if (address !== undefined && typeof address !== "string")
    throw new InvalidKeystoreError(path, "address must be a string");
  return { address, crypto };
}

async function accountFromKeystore(path: string, password: string): Promise<Account> {
  const { address, crypto } = parseKeystore(await readText("keystore", path), path);
  let secret: Uint8Array;
  try {
    secret = await decryptSecretStorage(crypto, password, { plaintextLength: 32 });
  } catch (error) {
    if (error instanceof KeystoreWrongPasswordError) throw new WrongKeystorePasswordError(path, error);
    if (error instanceof KeystoreError) throw new InvalidKeystoreError(path, error.message, { cause: error });
    throw error;
  }
  let account: Account;
  try {
    account = accountFromKey(bytesToHex(secret), `the key in ${path}`);
  } finally {
    secret.fill(0);
  }
  if (address !== undefined) {
    const declared = address.startsWith("0x") ? address : `0x${address}`;
    let matches = false;
    try {
      matches = getAddress(declared) === account.address;
    } catch {
      throw new InvalidKeystoreError(path, `address ${JSON.stringify(address)} is not an address`);
    }
    if (!matches) {
      throw new InvalidKeystoreError(
        path,
        `declares address ${declared} but holds the key of ${account.address}`,
      );
    }
  }
  return account;
}

/**
 * Loads the ECDSA signer a service sends transactions with. Errors are named (NoSignerError,
 * ConflictingSignerSourcesError, MissingKeystorePasswordError, SignerFileUnreadableError,
 * WrongKeystorePasswordError, InvalidKeystoreError, InvalidPrivateKeyError) and never contain
 * the key or the password.
 */
export async function loadSigner(source: SignerSource): Promise<Account> {
  const names = { ...DEFAULT_NAMES, ...source.names };
  const hasKey = source.privateKey !== undefined;
  const hasKeystore = source.keystorePath !== undefined && source.keystorePath !== "";
  if (hasKey && hasKeystore) throw new ConflictingSignerSourcesError(names.privateKey, names.keystorePath);
  if (hasKey) return accountFromKey(source.privateKey!, names.privateKey);
  if (!hasKeystore) throw new NoSignerError(names);
  return accountFromKeystore(source.keystorePath!, await passwordOf(source, names));
}

/**
 * Encrypts a private key as geth's keystore file does (scrypt at geth's standard cost unless
 * `options` lowers it, e.g. in tests).
 */
export async function encryptEcdsaKeystore(
  privateKey: Hex,
  password: string,
  options?: SecretStorageEncryptOptions,
): Promise<EcdsaKeystoreJson> {
  const account = accountFromKey(privateKey, "privateKey");
  const secret = hexToBytes(privateKey);
  try {
    return {
      address: account.address.slice(2).toLowerCase(),
      crypto: await encryptSecretStorage(secret, password, options),
      id: randomUUID(),
      version: 3,
    };
  } finally {
    secret.fill(0);
  }
}
