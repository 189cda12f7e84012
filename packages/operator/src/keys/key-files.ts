import { randomBytes } from "node:crypto";
import { link, mkdir, open, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { SecretStorageEncryptOptions } from "@avskit/bls";
import { InvalidKeyNameError, KeyExistsError } from "../errors.js";

export type KeyType = "bls" | "ecdsa";

/** eigensdk-go and eigenlayer-cli name key files `<name>.bls.key.json` and `<name>.ecdsa.key.json`. */
export const KEY_FILE_SUFFIX: Readonly<Record<KeyType, string>> = {
  bls: ".bls.key.json",
  ecdsa: ".ecdsa.key.json",
};

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * scrypt at a cost of 2^12 instead of geth's 2^18: about 60 times faster to open, and as much
 * weaker against a stolen file. For tests and throwaway devnet keys only; eigensdk-go and
 * geth still read the files.
 */
export const INSECURE_SCRYPT: Readonly<SecretStorageEncryptOptions> = Object.freeze({ n: 4096, r: 8, p: 1 });

export function defaultKeysDir(): string {
  return join(homedir(), ".avskit", "keys");
}

export function assertKeyName(name: string): string {
  if (!KEY_NAME.test(name) || name.endsWith(".json")) throw new InvalidKeyNameError(name);
  return name;
}

export function keyFilePath(keysDir: string, name: string, type: KeyType): string {
  return join(resolve(keysDir), `${assertKeyName(name)}${KEY_FILE_SUFFIX[type]}`);
}

/**
 * A key given as a name (looked up in the keys folder) or as a path to a file (anything with a
 * slash or ending in `.json`), so keys made by other tools can be used where they are.
 */
export function resolveKeyFile(keysDir: string, nameOrPath: string, type: KeyType): string {
  if (nameOrPath.includes("/") || nameOrPath.endsWith(".json")) return resolve(nameOrPath);
  return keyFilePath(keysDir, nameOrPath, type);
}

/** The key's name from its file name, for listings. */
export function keyNameOf(path: string, type: KeyType): string {
  const file = basename(path);
  return file.endsWith(KEY_FILE_SUFFIX[type]) ? file.slice(0, -KEY_FILE_SUFFIX[type].length) : file;
}

export async function ensureKeysDir(keysDir: string): Promise<void> {
  await mkdir(resolve(keysDir), { recursive: true, mode: 0o700 });
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/**
 * Writes a new secret file readable only by its owner. The content is flushed to a temporary
 * file, then hard-linked into place: the link fails if the path exists, so an existing key is
 * never replaced, and a crash never leaves a half-written key.
 */
export async function writeNewSecretFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    try {
      await handle.chmod(0o600); // the open() mode is filtered by the umask
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, path);
    } catch (error) {
      if (errorCode(error) === "EEXIST") throw new KeyExistsError(path);
      throw error;
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

export function isMissingFile(error: unknown): boolean {
  return errorCode(error) === "ENOENT";
}
