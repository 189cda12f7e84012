import { randomBytes } from "node:crypto";
import { link, lstat, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { BlsKeyPair } from "./keys.js";
import {
  type BlsKeystoreEncryptOptions,
  type BlsKeystoreJson,
  decryptBlsKeystore,
  encryptBlsKeystore,
  serializeBlsKeystore,
} from "./keystore.js";
import type { KeystorePassword } from "./keystore-crypto.js";
import { KeystoreFileExistsError, KeystoreInvalidArgumentError } from "./keystore-errors.js";

export interface WriteBlsKeystoreFileOptions extends BlsKeystoreEncryptOptions {
  /** Replace an existing file (atomically). Default false: an existing file is never touched. */
  overwrite?: boolean;
}

const FILE_MODE = 0o600;

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
}

/** Makes the new directory entry durable; best effort, as not every platform can open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file itself is already synced; only the rename's durability across a power cut is at stake.
  }
}

/**
 * Writes an eigensdk-go BLS key file readable only by its owner (mode 0600). The content goes
 * to a temporary file in the same directory, is flushed, and is then moved into place in one
 * step: a crash never leaves a half-written key. Without `overwrite`, the final step is a hard
 * link, which fails if the path appeared meanwhile, so an existing key is never replaced.
 * Parent directories are not created. Returns what was written.
 */
export async function writeBlsKeystoreFile(
  path: string,
  secretKey: bigint,
  password: KeystorePassword,
  options: WriteBlsKeystoreFileOptions = {},
): Promise<BlsKeystoreJson> {
  if (typeof path !== "string" || path === "")
    throw new KeystoreInvalidArgumentError("path", "must be a non-empty string");
  const { overwrite = false, ...encryptOptions } = options;
  if (typeof overwrite !== "boolean")
    throw new KeystoreInvalidArgumentError("options.overwrite", "must be a boolean");
  // Checked before the (slow) KDF so the common mistake fails at once; the link below closes the race.
  if (!overwrite && (await exists(path))) throw new KeystoreFileExistsError(path);

  const keystore = await encryptBlsKeystore(secretKey, password, encryptOptions);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", FILE_MODE);
  try {
    try {
      await handle.chmod(FILE_MODE); // the open() mode is filtered by the umask
      await handle.writeFile(serializeBlsKeystore(keystore), "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) {
      await rename(temporary, path);
    } else {
      try {
        await link(temporary, path);
      } catch (error) {
        if (errorCode(error) === "EEXIST") throw new KeystoreFileExistsError(path);
        throw error;
      }
    }
  } finally {
    await unlink(temporary).catch(() => undefined); // gone already after a rename
  }
  await syncDirectory(dirname(path));
  return keystore;
}

/** Reads and decrypts an eigensdk-go BLS key file. File-system errors (ENOENT, EACCES) pass through. */
export async function readBlsKeystoreFile(path: string, password: KeystorePassword): Promise<BlsKeyPair> {
  return decryptBlsKeystore(await readFile(path), password);
}
