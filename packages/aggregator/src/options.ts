import {
  addOptions,
  type ConfigOf,
  loggingOptions,
  type OptionSpecs,
  opt,
  resolveConfig,
} from "@avskit/runtime";
import { Command } from "commander";
import { z } from "zod";

/** Every option has an `AVSKIT_AGGREGATOR_*` env var (e.g. AVSKIT_AGGREGATOR_LISTEN). */
export const ENV_PREFIX = "AVSKIT_AGGREGATOR_";

/** `host:port`, or `none` to serve no metrics endpoint. */
const metricsAddress = () =>
  z.string().transform((value, ctx) => {
    if (value === "none") return undefined;
    const parsed = opt.listenAddress().safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", message: `${parsed.error.issues[0]?.message ?? "invalid"}, or none` });
      return z.NEVER;
    }
    return parsed.data;
  });

const positiveDuration = () =>
  opt.duration().refine((ms) => ms > 0, "must be longer than 0 (examples: 500ms, 2s)");

export const aggregatorOptionSpecs = {
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
  operatorStateRetrieverAddr: {
    flag: "--operator-state-retriever-addr",
    value: "address",
    description:
      "a deployed OperatorStateRetriever; without it (and none in the deployments file) its code is put into each eth_call by state override",
    schema: opt.address(),
  },
  ecdsaPrivateKey: {
    flag: "--ecdsa-private-key",
    value: "hex",
    description:
      "private key of an account with the aggregator role (prefer the env var: flags show in `ps`)",
    schema: opt.hex32(),
    secret: true,
  },
  ecdsaKeystorePath: {
    flag: "--ecdsa-keystore-path",
    value: "file",
    description: "encrypted keystore of that account (Web3 Secret Storage v3)",
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
  listen: {
    flag: "--listen",
    value: "host:port",
    description: "where the HTTP API listens for operators' signed responses (port 0 picks a free one)",
    schema: opt.listenAddress(),
    default: "127.0.0.1:8090",
  },
  metricsAddr: {
    flag: "--metrics-addr",
    value: "host:port",
    description: "where to serve /metrics and /health (port 0 picks a free one), or none",
    schema: metricsAddress(),
    default: "127.0.0.1:9092",
  },
  collectionWindow: {
    flag: "--collection-window",
    value: "duration",
    description:
      "after every quorum met its threshold, wait this long for more signatures (fewer non-signers, less gas); 0 submits at once",
    schema: opt.duration(),
    default: "100ms",
  },
  batchIdle: {
    flag: "--batch-idle",
    value: "duration",
    description: "a verification batch closes once no signature has arrived for this long",
    schema: opt.duration(),
    default: "15ms",
  },
  batchMaxWait: {
    flag: "--batch-max-wait",
    value: "duration",
    description: "longest a signature waits for its batch to close (a steady stream cannot hold it open)",
    schema: opt.duration(),
    default: "100ms",
  },
  maxBatchSize: {
    flag: "--max-batch-size",
    value: "n",
    description: "signatures verified in one batch at most",
    schema: opt.int(1, 10_000),
    default: "256",
  },
  maxPending: {
    flag: "--max-pending",
    value: "n",
    description: "signatures waiting for verification at most; beyond it requests get 429 OVERLOADED",
    schema: opt.int(1, 1_000_000),
    default: "4096",
  },
  bodyLimit: {
    flag: "--body-limit",
    value: "bytes",
    description: "largest request body accepted (a signed response is about 400 bytes)",
    schema: opt.int(256, 1_048_576),
    default: "8192",
  },
  pollInterval: {
    flag: "--poll-interval",
    value: "duration",
    description: "how often to poll the chain for blocks and task events",
    schema: positiveDuration(),
    default: "500ms",
  },
  gasMultiplier: {
    flag: "--gas-multiplier",
    value: "x",
    description: "gas limit = estimate × this",
    schema: opt.number(1),
    default: "1.2",
  },
  ...loggingOptions,
} as const satisfies OptionSpecs;

export type AggregatorConfig = ConfigOf<typeof aggregatorOptionSpecs>;

/** Raw option values keyed like the config (e.g. `{ listen: "127.0.0.1:0" }`), as a user would give them. */
export type AggregatorConfigInput = Partial<Record<keyof typeof aggregatorOptionSpecs, unknown>>;

/** The commander command with every option (and `--config <file>`), without an action. */
export function aggregatorCommand(): Command {
  const command = new Command("avskit-aggregator")
    .description(
      "Collects operators' BLS-signed task responses over HTTP, verifies them in batches, and submits one aggregated respondToTask per task once every quorum's threshold is met.",
    )
    .showHelpAfterError();
  return addOptions(command, aggregatorOptionSpecs, ENV_PREFIX);
}

/**
 * Validates option values given in code (tests, the devnet) exactly as the CLI validates
 * flags: same schemas and defaults, env vars and `config` file honoured, ConfigError naming
 * the flag.
 */
export function resolveAggregatorConfig(
  values: AggregatorConfigInput & { config?: string } = {},
  env: NodeJS.ProcessEnv = {},
): AggregatorConfig {
  const command = aggregatorCommand();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) command.setOptionValue(key, value);
  }
  return resolveConfig(command, aggregatorOptionSpecs, ENV_PREFIX, env);
}
