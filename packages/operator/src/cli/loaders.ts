import type { BlsKeyPair } from "@avskit/bls";
import { connectChain, type ReadClient } from "@avskit/runtime";
import type { Account, Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type AvsContracts, resolveAvsContracts } from "../chain/contracts.js";
import { InvalidUsageError } from "../errors.js";
import { loadBlsKey } from "../keys/bls-keys.js";
import { loadEcdsaKey, parseEcdsaPrivateKey, peekEcdsaKey } from "../keys/ecdsa-keys.js";
import { resolveKeyFile } from "../keys/key-files.js";
import { readSecret, type SecretInputs } from "../keys/secrets.js";
import { SECRET_ENV } from "./options.js";

export interface ChainConfig {
  readonly rpcUrl: string;
  readonly deploymentsDir: string;
  readonly registryCoordinator: Address | undefined;
}

export async function connectAvs(
  config: ChainConfig,
): Promise<{ client: ReadClient; contracts: AvsContracts }> {
  const client = await connectChain({ rpcUrl: config.rpcUrl, pollingIntervalMs: 500 });
  const contracts = await resolveAvsContracts(client, {
    registryCoordinator: config.registryCoordinator,
    deploymentsDir: config.deploymentsDir,
  });
  return { client, contracts };
}

export interface BlsKeyConfig {
  readonly keysDir: string;
  readonly blsKey: string;
  readonly blsPasswordFile: string | undefined;
}

export async function loadBlsKeyFromConfig(config: BlsKeyConfig, io: SecretInputs): Promise<BlsKeyPair> {
  const path = resolveKeyFile(config.keysDir, config.blsKey, "bls");
  const password = await readSecret(
    {
      what: "the BLS key password",
      envVar: SECRET_ENV.blsKeyPassword,
      file: config.blsPasswordFile,
      fileFlag: "--bls-password-file",
    },
    io,
  );
  return loadBlsKey(path, password);
}

export interface EcdsaKeyConfig {
  readonly keysDir: string;
  readonly ecdsaKey: string | undefined;
  readonly ecdsaPasswordFile: string | undefined;
}

function rawKeyFromEnv(io: SecretInputs): string | undefined {
  const raw = io.env[SECRET_ENV.ecdsaPrivateKey];
  return raw === undefined || raw === "" ? undefined : raw;
}

/** The transaction-signing account: a keystore (--ecdsa-key) or the raw key in the env var. */
export async function loadEcdsaAccountFromConfig(config: EcdsaKeyConfig, io: SecretInputs): Promise<Account> {
  const raw = rawKeyFromEnv(io);
  if (config.ecdsaKey !== undefined) {
    if (raw !== undefined) {
      throw new InvalidUsageError(
        `--ecdsa-key and ${SECRET_ENV.ecdsaPrivateKey} were both given: choose one`,
      );
    }
    const path = resolveKeyFile(config.keysDir, config.ecdsaKey, "ecdsa");
    const password = await readSecret(
      {
        what: "the ECDSA key password",
        envVar: SECRET_ENV.ecdsaKeyPassword,
        file: config.ecdsaPasswordFile,
        fileFlag: "--ecdsa-password-file",
      },
      io,
    );
    return loadEcdsaKey(path, password);
  }
  if (raw !== undefined) return privateKeyToAccount(parseEcdsaPrivateKey(raw));
  throw new InvalidUsageError(
    `no ECDSA key (it signs transactions, and logins to the aggregator): give --ecdsa-key <name|file> (a keystore) or set ${SECRET_ENV.ecdsaPrivateKey}`,
  );
}

/** The operator's address without any password: from a keystore's clear-text field or the raw key. */
export async function operatorAddressFromConfig(config: EcdsaKeyConfig, io: SecretInputs): Promise<Address> {
  if (config.ecdsaKey !== undefined) {
    const path = resolveKeyFile(config.keysDir, config.ecdsaKey, "ecdsa");
    const info = await peekEcdsaKey(config.ecdsaKey, path);
    if (info.address !== undefined) return info.address;
    return (await loadEcdsaAccountFromConfig(config, io)).address;
  }
  const raw = rawKeyFromEnv(io);
  if (raw !== undefined) return privateKeyToAccount(parseEcdsaPrivateKey(raw)).address;
  throw new InvalidUsageError(
    `whose status? give --operator-address, --ecdsa-key <name|file>, or set ${SECRET_ENV.ecdsaPrivateKey}`,
  );
}
