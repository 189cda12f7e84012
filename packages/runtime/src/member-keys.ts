import { readFile } from "node:fs/promises";
import { decryptSecretStorage, keyPairFromSecretKey, readBlsKeystoreFile } from "@avskit/bls";
import { bytesToHex, type Hex } from "viem";
import { z } from "zod";
import type { OptionSpecs } from "./config.js";
import { envNameFor } from "./config.js";
import { ConfigError } from "./errors.js";
import { opt } from "./schemas.js";
import { type EcdsaSignerConfig, loadConfiguredSigner } from "./service-options.js";

/**
 * The keys of one operator (a member of a sequencer network): its BN254 secret key and the raw
 * secp256k1 key of its registered address. Services that sign as the operator (the sequencer
 * node, the downtime log) take them with the same flags and load them the same way.
 */

/** The four BLS key options: a raw key (devnets) or an eigensdk keystore with its password. */
export const blsKeyOptions = (privateKeyDescription: string) =>
  ({
    blsPrivateKey: {
      flag: "--bls-private-key",
      value: "hex|decimal",
      description: `${privateKeyDescription} (devnets; prefer the keystore or the env var)`,
      schema: z.string().regex(/^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/, "must be 0x-hex or decimal"),
      secret: true,
    },
    blsKeystorePath: {
      flag: "--bls-keystore-path",
      value: "file",
      description: "encrypted BLS keystore (eigensdk *.bls.key.json)",
      schema: opt.string(),
    },
    blsKeystorePassword: {
      flag: "--bls-keystore-password",
      value: "password",
      description: "BLS keystore password (set it through the env var; never logged)",
      schema: z.string(),
      secret: true,
    },
    blsKeystorePasswordFile: {
      flag: "--bls-keystore-password-file",
      value: "file",
      description: "file holding the BLS keystore password (one trailing newline is ignored)",
      schema: opt.string(),
    },
  }) as const satisfies OptionSpecs;

/** Resolved values of blsKeyOptions. */
export interface BlsKeyConfig {
  readonly blsPrivateKey?: string | undefined;
  readonly blsKeystorePath?: string | undefined;
  readonly blsKeystorePassword?: string | undefined;
  readonly blsKeystorePasswordFile?: string | undefined;
}

const flagError = (flag: string, envPrefix: string, message: string) =>
  new ConfigError(flag, envNameFor(flag, envPrefix), message);

async function blsPassword(config: BlsKeyConfig, envPrefix: string): Promise<string> {
  if (config.blsKeystorePasswordFile !== undefined) {
    try {
      return (await readFile(config.blsKeystorePasswordFile, "utf8")).replace(/\r?\n$/, "");
    } catch (error) {
      throw flagError(
        "--bls-keystore-password-file",
        envPrefix,
        `cannot read it: ${(error as Error).message}`,
      );
    }
  }
  if (config.blsKeystorePassword !== undefined) return config.blsKeystorePassword;
  throw flagError(
    "--bls-keystore-password",
    envPrefix,
    "the BLS keystore needs a password (or --bls-keystore-password-file)",
  );
}

/** The BN254 secret key blsKeyOptions name; a ConfigError naming the flag when it cannot be had. */
export async function loadConfiguredBlsSecret(config: BlsKeyConfig, envPrefix: string): Promise<bigint> {
  if (config.blsPrivateKey !== undefined && config.blsKeystorePath !== undefined)
    throw flagError("--bls-private-key", envPrefix, "give either it or --bls-keystore-path, not both");
  if (config.blsPrivateKey !== undefined) {
    try {
      return keyPairFromSecretKey(BigInt(config.blsPrivateKey)).secretKey;
    } catch {
      throw flagError(
        "--bls-private-key",
        envPrefix,
        "is not a BN254 secret key (non-zero, below the curve order)",
      );
    }
  }
  if (config.blsKeystorePath === undefined)
    throw flagError(
      "--bls-private-key",
      envPrefix,
      "a BLS key is needed: --bls-keystore-path (with its password) or --bls-private-key",
    );
  try {
    return (await readBlsKeystoreFile(config.blsKeystorePath, await blsPassword(config, envPrefix)))
      .secretKey;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw flagError(
      "--bls-keystore-path",
      envPrefix,
      `${config.blsKeystorePath}: ${(error as Error).message}`,
    );
  }
}

/**
 * The raw ECDSA key of the signer options (peer requests are signed over raw digests, which a
 * viem Account does not do): the flag's, or decrypted from the keystore. The runtime's signer
 * loader runs first, so the file and the password are checked (with its named errors) and the
 * address is known.
 */
export async function loadConfiguredEcdsaKey(
  config: EcdsaSignerConfig,
  envPrefix: string,
): Promise<{ key: Hex; address: Hex }> {
  const account = await loadConfiguredSigner(config, envPrefix);
  if (config.ecdsaPrivateKey !== undefined) return { key: config.ecdsaPrivateKey, address: account.address };
  const json = JSON.parse(await readFile(config.ecdsaKeystorePath!, "utf8")) as {
    crypto?: unknown;
    Crypto?: unknown;
  };
  const password =
    config.ecdsaKeystorePasswordFile !== undefined
      ? (await readFile(config.ecdsaKeystorePasswordFile, "utf8")).replace(/\r?\n$/, "")
      : config.ecdsaKeystorePassword!;
  const secret = await decryptSecretStorage(json.crypto ?? json.Crypto, password, { plaintextLength: 32 });
  try {
    return { key: bytesToHex(secret), address: account.address };
  } finally {
    secret.fill(0);
  }
}
