import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type BlsKeyInfo, peekBlsKey } from "./bls-keys.js";
import { type EcdsaKeyInfo, peekEcdsaKey } from "./ecdsa-keys.js";
import { isMissingFile, KEY_FILE_SUFFIX, type KeyType, keyNameOf } from "./key-files.js";

/** A key file that could not be read: listed with its problem instead of failing the listing. */
export interface UnreadableKey {
  readonly type: KeyType;
  readonly name: string;
  readonly path: string;
  readonly error: string;
}

export type KeyListEntry = BlsKeyInfo | EcdsaKeyInfo | UnreadableKey;

export function isUnreadable(entry: KeyListEntry): entry is UnreadableKey {
  return "error" in entry;
}

function typeOf(file: string): KeyType | undefined {
  if (file.endsWith(KEY_FILE_SUFFIX.bls)) return "bls";
  if (file.endsWith(KEY_FILE_SUFFIX.ecdsa)) return "ecdsa";
  return undefined;
}

/**
 * Every key in the folder, sorted by type then name, with public keys, operatorIds and
 * addresses read from the files' clear-text fields: no password needed. A missing folder
 * lists as empty.
 */
export async function listKeys(keysDir: string): Promise<KeyListEntry[]> {
  const dir = resolve(keysDir);
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if (isMissingFile(error)) return [];
    throw error;
  }
  const entries: KeyListEntry[] = [];
  for (const file of files.sort()) {
    const type = typeOf(file);
    if (type === undefined || file.startsWith(".")) continue;
    const path = join(dir, file);
    const name = keyNameOf(path, type);
    try {
      entries.push(type === "bls" ? await peekBlsKey(name, path) : await peekEcdsaKey(name, path));
    } catch (error) {
      entries.push({ type, name, path, error: (error as Error).message });
    }
  }
  return entries.sort((a, b) =>
    a.type === b.type ? a.name.localeCompare(b.name) : a.type < b.type ? -1 : 1,
  );
}
