import {
  addOptions,
  type ConfigOf,
  ecdsaSignerOptions,
  loggingOptions,
  metricsAddressOption,
  type OptionSpecs,
  opt,
  positiveDuration,
  resolveConfigValues,
  rpcUrlOption,
  taskManagerLocationOptions,
} from "@avskit/runtime";
import { Command } from "commander";

/** Every option has an `AVSKIT_CHALLENGER_*` env var (e.g. AVSKIT_CHALLENGER_RPC_URL). */
export const ENV_PREFIX = "AVSKIT_CHALLENGER_";

export const challengerOptionSpecs = {
  rpcUrl: rpcUrlOption(),
  ...taskManagerLocationOptions(),
  ...ecdsaSignerOptions(
    "private key of the account that pays for challenges (prefer the env var: flags show in `ps`)",
  ),
  pollInterval: {
    flag: "--poll-interval",
    value: "duration",
    description: "how often to look for new responses (and retry pending challenges)",
    schema: positiveDuration("1s, 500ms, 1m"),
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
    schema: positiveDuration("1s, 500ms, 1m"),
    default: "60s",
  },
  metricsAddr: metricsAddressOption("127.0.0.1:9092"),
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
  return resolveConfigValues(challengerCommand(), challengerOptionSpecs, ENV_PREFIX, values, env);
}
