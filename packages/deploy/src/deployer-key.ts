import { readFileSync, statSync } from "node:fs";
import type { Hex } from "viem";
import { InvalidDeployConfigError } from "./errors.js";

export const DEPLOYER_KEY_ENV = "AVSKIT_DEPLOYER_PRIVATE_KEY";

const KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * The deployer's private key, from `AVSKIT_DEPLOYER_PRIVATE_KEY` or a key file. There is
 * deliberately no flag taking the key itself: it would land in shell history and `ps`.
 * Errors never include the key's text.
 */
export function readDeployerKey(options: {
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
  warn?: (line: string) => void;
}): Hex {
  const env = options.env ?? process.env;
  const fromEnv = env[DEPLOYER_KEY_ENV];
  if (options.keyFile !== undefined && fromEnv !== undefined && fromEnv !== "") {
    throw new InvalidDeployConfigError("deployer key", [
      `both --deployer-key-file and ${DEPLOYER_KEY_ENV} are set; use one`,
    ]);
  }
  let raw: string;
  let source: string;
  if (options.keyFile !== undefined) {
    source = `key file ${options.keyFile}`;
    try {
      raw = readFileSync(options.keyFile, "utf8");
    } catch (error) {
      throw new InvalidDeployConfigError("deployer key", [
        `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      ]);
    }
    if (process.platform !== "win32" && (statSync(options.keyFile).mode & 0o077) !== 0) {
      options.warn?.(`warning: ${options.keyFile} is readable by other users; chmod 600 it`);
    }
  } else if (fromEnv !== undefined && fromEnv !== "") {
    source = DEPLOYER_KEY_ENV;
    raw = fromEnv;
  } else {
    throw new InvalidDeployConfigError("deployer key", [
      `no deployer key: set ${DEPLOYER_KEY_ENV} or pass --deployer-key-file <path>`,
    ]);
  }
  const key = raw.trim();
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidDeployConfigError("deployer key", [`${source} does not hold a 32-byte hex private key`]);
  }
  return (key.startsWith("0x") ? key : `0x${key}`) as Hex;
}
