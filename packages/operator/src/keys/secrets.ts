import { readFile } from "node:fs/promises";
import { InvalidUsageError, MissingPasswordError, UnreadableFileError } from "../errors.js";

/** Where the CLI reads secrets from besides files: tests pass their own. */
export interface SecretInputs {
  readonly env: NodeJS.ProcessEnv;
  /** Reads all of standard input (only called when a `--…-stdin` flag asks for it). */
  readonly readStdin: () => Promise<string>;
}

/**
 * A secret may come from a file, from standard input or from an environment variable (in that
 * order of precedence). Never from a flag's value: that would land in shell history and `ps`.
 */
export interface SecretSource {
  /** What the secret unlocks, for messages ("the BLS key password"). */
  readonly what: string;
  readonly envVar: string;
  readonly file?: string | undefined;
  readonly fileFlag: string;
  readonly stdin?: boolean | undefined;
  readonly stdinFlag?: string | undefined;
}

async function readSecretFile(what: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new UnreadableFileError(what, path, error);
  }
}

/** Editors and `echo` add one trailing newline; a secret rarely ends with one on purpose. */
function firstLine(text: string): string {
  return text.replace(/\r?\n$/, "");
}

/** The secret, or undefined when no source was given. */
export async function readOptionalSecret(
  source: SecretSource,
  inputs: SecretInputs,
): Promise<string | undefined> {
  if (source.file !== undefined && source.stdin) {
    throw new InvalidUsageError(`${source.fileFlag} and ${source.stdinFlag} were both given: choose one`);
  }
  if (source.file !== undefined) return firstLine(await readSecretFile(`${source.what} file`, source.file));
  if (source.stdin) return firstLine(await inputs.readStdin());
  const fromEnv = inputs.env[source.envVar];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** The secret, or a MissingPasswordError listing every way to supply it. */
export async function readSecret(source: SecretSource, inputs: SecretInputs): Promise<string> {
  const secret = await readOptionalSecret(source, inputs);
  if (secret === undefined) throw new MissingPasswordError(source.what, howToSupply(source));
  return secret;
}

export function howToSupply(source: SecretSource): string {
  const ways = [`set the environment variable ${source.envVar}`, `pass ${source.fileFlag} <file>`];
  if (source.stdinFlag) ways.push(`pass ${source.stdinFlag} and pipe it in`);
  return ways.join(", or ");
}

/** Reads all of a stream (process.stdin in the CLI). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
