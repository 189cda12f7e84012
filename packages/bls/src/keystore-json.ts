import { hexToBytes } from "@noble/hashes/utils.js";
import { KeystoreCorruptError } from "./keystore-errors.js";

/**
 * Readers for keystore JSON fields. Each takes the JSON path of the field so that a failure
 * names it; none echoes field contents, which may be secret-adjacent (ciphertext, mac).
 */

export type JsonObject = Record<string, unknown>;

export function asObject(value: unknown, field: string): JsonObject {
  if (value === undefined || value === null) throw new KeystoreCorruptError(field, "is missing");
  if (typeof value !== "object" || Array.isArray(value))
    throw new KeystoreCorruptError(field, "must be a JSON object");
  return value as JsonObject;
}

/**
 * A member of a Go struct decoded by encoding/json (as eigensdk-go and geth decode the file):
 * the name matches case-insensitively and, when several keys match, the last one wins.
 */
export function structMember(object: JsonObject, name: string): unknown {
  const wanted = name.toLowerCase();
  let found: unknown;
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === wanted) found = object[key];
  }
  return found;
}

/** A member of a Go `map[string]interface{}` (geth's kdfparams): exact name only. */
export function mapMember(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

export function readString(value: unknown, field: string): string {
  if (value === undefined || value === null) throw new KeystoreCorruptError(field, "is missing");
  if (typeof value !== "string") throw new KeystoreCorruptError(field, "must be a string");
  return value;
}

/** Hex as geth writes it (no prefix); a `0x` prefix is tolerated. `length` is in bytes. */
export function readHex(value: unknown, field: string, length?: number): Uint8Array {
  const text = readString(value, field);
  const digits = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new KeystoreCorruptError(field, "is not valid hex");
  }
  const bytes = hexToBytes(digits);
  if (length !== undefined && bytes.length !== length) {
    throw new KeystoreCorruptError(field, `must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** A JSON number holding a safe integer ≥ `min` (geth decodes these into Go ints). */
export function readInteger(value: unknown, field: string, min: number): number {
  if (value === undefined || value === null) throw new KeystoreCorruptError(field, "is missing");
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new KeystoreCorruptError(field, "must be an integer JSON number");
  }
  if (value < min) throw new KeystoreCorruptError(field, `must be at least ${min}, got ${value}`);
  return value;
}
