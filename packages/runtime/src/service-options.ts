import { readFile } from "node:fs/promises";
import type { Account } from "viem";
import { z } from "zod";
import type { OptionSpecs } from "./config.js";
import { envNameFor } from "./config.js";
import { formatDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from "./http.js";
import { opt } from "./schemas.js";
import { loadSigner, type SignerOptionNames } from "./signer.js";

/**
 * Option specs the AVS services share. Each factory returns fresh specs with the same flag,
 * help text and default in every service; the service's own env prefix is applied by addOptions.
 */

/** A duration longer than 0; `examples` is shown in the error, e.g. "1s, 500ms, 1m". */
export const positiveDuration = (examples: string) =>
  opt.duration().refine((ms) => ms > 0, `must be longer than 0 (examples: ${examples})`);

/** `host:port`, or `none` to serve no metrics endpoint. */
export const metricsAddress = () =>
  z.string().transform((value, ctx) => {
    if (value === "none") return undefined;
    const parsed = opt.listenAddress().safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: `${parsed.error.issues[0]?.message ?? "invalid"}, or none` });
      return z.NEVER;
    }
    return parsed.data;
  });

/** `--rpc-url`, defaulting to a local node. */
export const rpcUrlOption = () =>
  ({
    flag: "--rpc-url",
    value: "url",
    description: "JSON-RPC endpoint of the chain",
    schema: opt.url(),
    default: "http://127.0.0.1:8545",
  }) as const;

/**
 * `--poll-interval`: how often a service looks at the chain. Services poll for different things
 * (blocks, responses, receipts), so the help line and the default are theirs; `examples` is shown
 * when the value is refused.
 */
export const pollIntervalOption = (defaultValue: string, description: string, examples = "1s, 500ms, 1m") =>
  ({
    flag: "--poll-interval",
    value: "duration",
    description,
    schema: positiveDuration(examples),
    default: defaultValue,
  }) as const;

/** `--tx-timeout`: the longest wait for a transaction the service sent to be mined. */
export const txTimeoutOption = (
  description = "longest wait for a transaction to be mined",
  defaultValue = "60s",
  examples = "1s, 500ms, 1m",
) =>
  ({
    flag: "--tx-timeout",
    value: "duration",
    description,
    schema: positiveDuration(examples),
    default: defaultValue,
  }) as const;

/** `--deployments-dir` and `--task-manager-addr`: where the TaskManager address comes from. */
export const taskManagerLocationOptions = () =>
  ({
    deploymentsDir: {
      flag: "--deployments-dir",
      value: "dir",
      description:
        "folder of deployments/<chainId>.json, where the TaskManager address is read from (default: $AVSKIT_DEPLOYMENTS_DIR or ./deployments)",
      schema: opt.string(),
    },
    taskManagerAddr: {
      flag: "--task-manager-addr",
      value: "address",
      description: "TaskManager (proxy) address; overrides the deployments file",
      schema: opt.address(),
    },
  }) as const satisfies OptionSpecs;

/**
 * Where an operator set is read from the registries: `--rpc-url` (optional: without it the
 * service reads a static file instead), the RegistryCoordinator and OperatorStateRetriever (from
 * the deployments file unless given), the quorum, and the window reference blocks are rounded to.
 */
export const registryNetworkOptions = () =>
  ({
    rpcUrl: {
      flag: "--rpc-url",
      value: "url",
      description:
        "JSON-RPC endpoint of the chain whose registries give the network (when no --network-file)",
      schema: opt.url(),
    },
    deploymentsDir: {
      flag: "--deployments-dir",
      value: "dir",
      description:
        "folder of deployments/<chainId>.json, where the RegistryCoordinator and OperatorStateRetriever are read from (default: $AVSKIT_DEPLOYMENTS_DIR or ./deployments)",
      schema: opt.string(),
    },
    registryCoordinator: {
      flag: "--registry-coordinator",
      value: "address",
      description: "RegistryCoordinator (proxy) address; overrides the deployments file",
      schema: opt.address(),
    },
    operatorStateRetriever: {
      flag: "--operator-state-retriever",
      value: "address",
      description: "OperatorStateRetriever address; overrides the deployments file",
      schema: opt.address(),
    },
    quorum: {
      flag: "--quorum",
      value: "n",
      description: "the quorum whose operators and stakes make the network",
      schema: opt.int(0, 191),
      default: "0",
    },
    networkEpochBlocks: {
      flag: "--network-epoch-blocks",
      value: "n",
      description:
        "chain network: reference blocks are multiples of this, so nodes that read the registries within one window name the same snapshot",
      schema: opt.int(1, 1_000_000),
      default: "20",
    },
  }) as const satisfies OptionSpecs;

/**
 * The four ECDSA signer options (private key, or keystore with its password or password file).
 * Only the help lines naming the account differ between services.
 */
export const ecdsaSignerOptions = (
  privateKeyDescription: string,
  keystorePathDescription = "encrypted keystore of that account (Web3 Secret Storage v3)",
) =>
  ({
    ecdsaPrivateKey: {
      flag: "--ecdsa-private-key",
      value: "hex",
      description: privateKeyDescription,
      schema: opt.hex32(),
      secret: true,
    },
    ecdsaKeystorePath: {
      flag: "--ecdsa-keystore-path",
      value: "file",
      description: keystorePathDescription,
      schema: opt.string(),
    },
    ecdsaKeystorePassword: {
      flag: "--ecdsa-keystore-password",
      value: "password",
      description: "keystore password (set it through the env var; never logged)",
      schema: z.string(),
      secret: true,
    },
    ecdsaKeystorePasswordFile: {
      flag: "--ecdsa-keystore-password-file",
      value: "file",
      description: "file holding the keystore password (one trailing newline is ignored)",
      schema: opt.string(),
    },
  }) as const satisfies OptionSpecs;

/** `--metrics-addr` (host:port or none) with the service's own default address. */
export const metricsAddressOption = (defaultAddress: string) =>
  ({
    flag: "--metrics-addr",
    value: "host:port",
    description: "where to serve /metrics and /health (port 0 picks a free one), or none",
    schema: metricsAddress(),
    default: defaultAddress,
  }) as const;

/** Resolved values of the ecdsaSignerOptions. */
export interface EcdsaSignerConfig {
  readonly ecdsaPrivateKey?: `0x${string}` | undefined;
  readonly ecdsaKeystorePath?: string | undefined;
  readonly ecdsaKeystorePassword?: string | undefined;
  readonly ecdsaKeystorePasswordFile?: string | undefined;
}

/** The signer options as errors name them: flag and env var under the service's prefix. */
export function signerOptionNames(envPrefix: string): SignerOptionNames {
  const named = (flag: string) => `${flag} (env ${envNameFor(flag, envPrefix)})`;
  return {
    privateKey: named("--ecdsa-private-key"),
    keystorePath: named("--ecdsa-keystore-path"),
    password: named("--ecdsa-keystore-password"),
    passwordFile: named("--ecdsa-keystore-password-file"),
  };
}

/** Loads the account the ecdsaSignerOptions describe; errors name the flags under `envPrefix`. */
export function loadConfiguredSigner(config: EcdsaSignerConfig, envPrefix: string): Promise<Account> {
  return loadSigner({
    privateKey: config.ecdsaPrivateKey,
    keystorePath: config.ecdsaKeystorePath,
    password: config.ecdsaKeystorePassword,
    passwordFile: config.ecdsaKeystorePasswordFile,
    names: signerOptionNames(envPrefix),
  });
}

const httpDefaults = DEFAULT_HTTP_LIMITS as HttpLimits & { rateLimit: { perSecond: number; burst: number } };

/**
 * The limits of an HTTP API a service serves (createHttpApp's HttpLimits), as flags with the
 * runtime's defaults; httpLimitsOf reads them back.
 */
export const httpLimitOptions = () =>
  ({
    rateLimit: {
      flag: "--rate-limit",
      value: "n",
      description:
        "requests per second each client address may send, on average (a token bucket); beyond it requests get 429 RATE_LIMITED; 0 turns the limit off",
      schema: opt.number(0).max(1_000_000, "must be ≤ 1000000"),
      default: String(httpDefaults.rateLimit.perSecond),
    },
    rateLimitBurst: {
      flag: "--rate-limit-burst",
      value: "n",
      description: "requests a client address may send at once, beyond its rate (the bucket's size)",
      schema: opt.int(1, 1_000_000),
      default: String(httpDefaults.rateLimit.burst),
    },
    maxConnections: {
      flag: "--max-connections",
      value: "n",
      description:
        "connections held open at once; at the limit the one idle the longest is closed to make room, and with none idle a new one gets 503 TOO_MANY_CONNECTIONS",
      schema: opt.int(1, 1_000_000),
      default: String(httpDefaults.maxConnections),
    },
    headersTimeout: {
      flag: "--headers-timeout",
      value: "duration",
      description: "longest the request line and headers may take to arrive; then 408 REQUEST_TIMEOUT",
      schema: positiveDuration("10s, 2s"),
      default: formatDuration(httpDefaults.headersTimeoutMs),
    },
    requestTimeout: {
      flag: "--request-timeout",
      value: "duration",
      description:
        "longest a whole request, body included, may take to arrive (at least --headers-timeout); then 408 REQUEST_TIMEOUT",
      schema: positiveDuration("15s, 5s"),
      default: formatDuration(httpDefaults.requestTimeoutMs),
    },
    keepAliveTimeout: {
      flag: "--keep-alive-timeout",
      value: "duration",
      description: "how long a kept-alive connection may wait for its next request",
      schema: positiveDuration("5s, 30s"),
      default: formatDuration(httpDefaults.keepAliveTimeoutMs),
    },
  }) as const;

/** The values of httpLimitOptions, as a service's resolved config holds them. */
export interface HttpLimitConfig {
  readonly rateLimit: number;
  readonly rateLimitBurst: number;
  readonly maxConnections: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
}

/** createHttpApp's limits from httpLimitOptions' values; a ConfigError when they contradict each other. */
export function httpLimitsOf(config: HttpLimitConfig, envPrefix: string): HttpLimits {
  const headersTimeoutMs = Math.ceil(config.headersTimeout);
  const requestTimeoutMs = Math.ceil(config.requestTimeout);
  if (headersTimeoutMs > requestTimeoutMs)
    throw new ConfigError(
      "--headers-timeout",
      envNameFor("--headers-timeout", envPrefix),
      `${formatDuration(headersTimeoutMs)} is longer than --request-timeout (${formatDuration(requestTimeoutMs)}): the headers are part of the request`,
    );
  return {
    rateLimit: config.rateLimit === 0 ? false : { perSecond: config.rateLimit, burst: config.rateLimitBurst },
    maxConnections: config.maxConnections,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: Math.ceil(config.keepAliveTimeout),
  };
}

/**
 * Reads the file an option names and parses it; either failure is a ConfigError naming the flag
 * and the file (`cannot read …`, or the parser's message), so a bad file exits 2 like a bad flag.
 */
export async function readOptionFile<T>(
  path: string,
  flag: string,
  envPrefix: string,
  parse: (text: string) => T,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      flag,
      envNameFor(flag, envPrefix),
      `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(flag, envNameFor(flag, envPrefix), `${path}: ${(error as Error).message}`);
  }
}
