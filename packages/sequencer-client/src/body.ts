/**
 * What an app may send: bytes as they are, a string as its UTF-8, anything else as its JSON text
 * (UTF-8). The log stores bytes only, so a reader decodes with the helper matching what was sent.
 */
export type BatchInput = Uint8Array | string | JsonValue;

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeBody(input: BatchInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === "string") return encoder.encode(input);
  const text = JSON.stringify(input);
  // JSON.stringify returns undefined for undefined, functions and symbols: nothing to send.
  if (text === undefined) throw new TypeError("a batch must be bytes, a string or a JSON value");
  return encoder.encode(text);
}

/** The body as UTF-8 text; throws TypeError when it is not valid UTF-8. */
export function bodyText(body: Uint8Array): string {
  return decoder.decode(body);
}

/** The body parsed as JSON (UTF-8); throws SyntaxError when it is not JSON. */
export function bodyJson<T = unknown>(body: Uint8Array): T {
  return JSON.parse(bodyText(body)) as T;
}
