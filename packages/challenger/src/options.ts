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

/** Every option has an `AVSKIT_CHALLENGER_*` env var (e.g. AVSKIT_CHALLENGER_RPC_URL). */
export const ENV_PREFIX = "AVSKIT_CHALLENGER_";

const positiveDuration = () =>
  opt.duration().refine((ms) => ms > 0, "must be longer than 0 (examples: 1s, 500ms, 1m)");

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

export const challengerOptionSpecs = {
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
  ecdsaPrivateKey: {
    flag: "--ecdsa-private-key",
    value: "hex",
    description:
      "private key of the account that pays for challenges (prefer the env var: flags show in `ps`)",
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
  pollInterval: {
    flag: "--poll-interval",
    value: "duration",
    description: "how often to look for new responses (and retry pending challenges)",
    schema: positiveDuration(),
    default: "1s",
  },
  maxLogRange: {
    flag: "--max-log-range",
    value: "blocks",
    description: "largest block range asked of eth_getLogs at once (providers cap it)",
    schema: opt.int(1, 1_000_000),
    default: "5000",
  },
  txTimeout: {
    flag: "--tx-timeout",
    value: "duration",
    description: "longest wait for a challenge transaction to be mined",
    schema: positiveDuration(),
    default: "60s",
  },
  metricsAddr: {
    flag: "--metrics-addr",
    value: "host:port",
    description: "where to serve /metrics and /health (port 0 picks a free one), or none",
    schema: metricsAddress(),
    default: "127.0.0.1:9092",
  },
  ...loggingOptions,
} as const satisfies OptionSpecs;

export type ChallengerConfig = ConfigOf<typeof challengerOptionSpecs>;

/** Raw option values keyed like the config (e.g. `{ pollInterval: "500ms" }`), as a user would give them. */
export type ChallengerConfigInput = Partial<Record<keyof typeof challengerOptionSpecs, unknown>>;

/** The commander command with every option (and `--config <file>`), without an action. */
export function challengerCommand(): Command {
  const command = new Command("avskit-challenger")
    .description(
      "Watches TaskResponded events, recomputes each answer and challenges wrong ones inside the challenge window.",
    )
    .showHelpAfterError();
  return addOptions(command, challengerOptionSpecs, ENV_PREFIX);
}

/** Validates option values given in code exactly as the CLI validates flags (ConfigError names the flag). */
export function resolveChallengerConfig(
  values: ChallengerConfigInput & { config?: string } = {},
  env: NodeJS.ProcessEnv = {},
): ChallengerConfig {
  const command = challengerCommand();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) command.setOptionValue(key, value);
  }
  return resolveConfig(command, challengerOptionSpecs, ENV_PREFIX, env);
}
