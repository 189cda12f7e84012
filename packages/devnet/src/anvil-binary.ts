import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { AnvilNotFoundError } from "./errors.js";

const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  "linux-x64": "@foundry-rs/anvil-linux-amd64",
  "linux-arm64": "@foundry-rs/anvil-linux-arm64",
  "darwin-x64": "@foundry-rs/anvil-darwin-amd64",
  "darwin-arm64": "@foundry-rs/anvil-darwin-arm64",
  "win32-x64": "@foundry-rs/anvil-win32-amd64",
};

/**
 * Path of the native anvil binary shipped by `@foundry-rs/anvil`'s platform package.
 *
 * We run the native binary directly rather than the package's `bin.mjs` wrapper, so that the
 * process we signal and wait for is anvil itself, not a Node process in between.
 * `AVSKIT_ANVIL_BIN` overrides the lookup (e.g. a Foundry install on PATH).
 */
export function resolveAnvilBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.AVSKIT_ANVIL_BIN;
  if (override !== undefined && override !== "") {
    if (!existsSync(override)) throw new AnvilNotFoundError(`AVSKIT_ANVIL_BIN=${override} does not exist`);
    return override;
  }
  const platformPackage = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (platformPackage === undefined) {
    throw new AnvilNotFoundError(
      `@foundry-rs/anvil has no build for ${process.platform}-${process.arch}; set AVSKIT_ANVIL_BIN`,
    );
  }
  const binaryName = process.platform === "win32" ? "anvil.exe" : "anvil";
  // The platform package is an optional dependency of @foundry-rs/anvil: resolve it from there.
  const require = createRequire(import.meta.url);
  let wrapperManifest: string;
  try {
    wrapperManifest = require.resolve("@foundry-rs/anvil/package.json");
  } catch {
    throw new AnvilNotFoundError("@foundry-rs/anvil is not installed (run `npm install` at the repo root)");
  }
  try {
    const binary = createRequire(wrapperManifest).resolve(`${platformPackage}/bin/${binaryName}`);
    if (existsSync(binary)) return binary;
  } catch {
    // fall through to the error below
  }
  throw new AnvilNotFoundError(
    `${platformPackage} is not installed; npm skipped the optional platform package (reinstall, or set AVSKIT_ANVIL_BIN)`,
  );
}
