import { homedir } from "node:os";
import { join } from "node:path";
import { opt } from "@avskit/runtime";
import { z } from "zod";

/** Every option's environment variable is AVSKIT_ + the flag in upper snake case. */
export const ENV_PREFIX = "AVSKIT_";

/** Secrets are read from these variables (or from files), never from flags. */
export const SECRET_ENV = {
  blsKeyPassword: "AVSKIT_BLS_KEY_PASSWORD",
  ecdsaKeyPassword: "AVSKIT_ECDSA_KEY_PASSWORD",
  ecdsaPrivateKey: "AVSKIT_ECDSA_PRIVATE_KEY",
  blsSecretKey: "AVSKIT_BLS_SECRET_KEY",
} as const;

/** A path where a leading `~/` means the home folder (shells do not expand it inside env vars). */
const path = () =>
  opt
    .string()
    .transform((value) =>
      value === "~" || value.startsWith("~/") ? join(homedir(), value.slice(1)) : value,
    );

export const keysDirOption = {
  keysDir: {
    flag: "--keys-dir",
    value: "dir",
    description: "folder of key files (<name>.bls.key.json, <name>.ecdsa.key.json)",
    schema: path(),
    default: "~/.avskit/keys",
  },
} as const;

export const keyTypeOption = {
  keyType: {
    flag: "--key-type",
    value: "type",
    description: "bls (signs task responses) or ecdsa (signs transactions)",
    schema: opt.enum(["bls", "ecdsa"]),
    default: "bls",
  },
} as const;

export const passwordFileOption = {
  passwordFile: {
    flag: "--password-file",
    value: "file",
    description: `file holding the key's password (else ${SECRET_ENV.blsKeyPassword} for BLS, ${SECRET_ENV.ecdsaKeyPassword} for ECDSA)`,
    schema: path(),
  },
} as const;

export const insecureKdfOption = {
  insecureKdf: {
    flag: "--insecure-kdf",
    description:
      "encrypt with a cheap scrypt cost (2^12 instead of 2^18): opens ~60x faster, resists guessing ~60x less. Tests and throwaway devnet keys only",
    schema: opt.bool(),
    default: "false",
  },
} as const;

export const chainOptions = {
  rpcUrl: {
    flag: "--rpc-url",
    value: "url",
    description: "JSON-RPC endpoint of the chain",
    schema: opt.url(),
    default: "http://127.0.0.1:8545",
  },
  deploymentsDir: {
    flag: "--deployments-dir",
    value: "dir",
    description: "folder of <chainId>.json deployment files, where the registry coordinator is looked up",
    schema: path(),
    default: "deployments",
  },
  registryCoordinator: {
    flag: "--registry-coordinator",
    value: "address",
    description:
      "registry coordinator address; overrides the deployment file (every other contract is read from it)",
    schema: opt.address(),
  },
} as const;

/** Where the operator's ECDSA key comes from (register and deregister sign transactions with it, run its logins). */
export const ecdsaKeyOptions = {
  ecdsaKey: {
    flag: "--ecdsa-key",
    value: "name|file",
    description: `ECDSA keystore: a key name in --keys-dir or a file path (else the raw key in ${SECRET_ENV.ecdsaPrivateKey})`,
    schema: opt.string(),
  },
  ecdsaPasswordFile: {
    flag: "--ecdsa-password-file",
    value: "file",
    description: `file holding the ECDSA keystore's password (else ${SECRET_ENV.ecdsaKeyPassword})`,
    schema: path(),
  },
} as const;

export const blsKeyOptions = {
  blsKey: {
    flag: "--bls-key",
    value: "name|file",
    description: "BLS key: a key name in --keys-dir or a path to an eigensdk-go *.bls.key.json file",
    schema: opt.string(),
    required: true,
  },
  blsPasswordFile: {
    flag: "--bls-password-file",
    value: "file",
    description: `file holding the BLS key's password (else ${SECRET_ENV.blsKeyPassword})`,
    schema: path(),
  },
} as const;

/** EigenLayer numbers quorums 0..191. */
export const quorumList = () =>
  opt
    .list(opt.int(0, 191))
    .pipe(z.array(z.number()).min(1, "needs at least one quorum number"))
    .transform((numbers) => [...new Set(numbers)].sort((a, b) => a - b));
