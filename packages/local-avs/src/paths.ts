import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ServiceBinaryNotFoundError } from "./errors.js";

interface Manifest {
  name?: string;
  workspaces?: unknown;
  bin?: Record<string, string> | string;
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** The monorepo root: the nearest folder above this file whose package.json declares workspaces. */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (readManifest(join(dir, "package.json"))?.workspaces !== undefined) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace root above ${from}`);
  }
}

/** Where `npm start` keeps keys, logs and the deployment record: git-ignored, rebuilt each run. */
export function defaultDevnetDir(): string {
  return join(repoRoot(), ".devnet");
}

/**
 * Absolute path of a workspace package's CLI (its `bin` entry), found through Node's module
 * resolution so it works wherever the workspace is installed.
 */
export function serviceBinary(packageName: string, binName: string): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(packageName);
  } catch (error) {
    throw new ServiceBinaryNotFoundError(packageName, (error as Error).message.split("\n")[0] ?? "");
  }
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, "package.json"));
    if (manifest?.name !== packageName) continue;
    const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[binName];
    if (bin === undefined) throw new ServiceBinaryNotFoundError(packageName, `no bin "${binName}"`);
    const path = join(dir, bin);
    if (!existsSync(path)) throw new ServiceBinaryNotFoundError(packageName, `${path} does not exist`);
    return path;
  }
  throw new ServiceBinaryNotFoundError(packageName, `no package.json above ${entry}`);
}

/** A path as the user should see it: relative to the working folder when inside it. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel === "") return ".";
  return rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? path : rel;
}
