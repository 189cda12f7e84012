import {
  ecdsaSignerOptions,
  type OptionSpecs,
  opt,
  pollIntervalOption,
  rpcUrlOption,
  type ServiceConfig,
  type ServiceConfigInput,
  taskManagerLocationOptions,
  txTimeoutOption,
} from "@avskit/runtime";

/** Every option has an `AVSKIT_CHALLENGER_*` env var (e.g. AVSKIT_CHALLENGER_RPC_URL). */
export const ENV_PREFIX = "AVSKIT_CHALLENGER_";

/** The challenger's own options; the service kit adds --metrics-addr (default 127.0.0.1:9093) and logging. */
export const challengerOptions = {
  rpcUrl: rpcUrlOption(),
  ...taskManagerLocationOptions(),
  ...ecdsaSignerOptions(
    "private key of the account that pays for challenges (prefer the env var: flags show in `ps`)",
  ),
  pollInterval: pollIntervalOption(
    "1s",
    "how often to look for new responses (and retry pending challenges)",
  ),
  maxLogRange: {
    flag: "--max-log-range",
    value: "blocks",
    description: "largest block range asked of eth_getLogs at once (providers cap it)",
    schema: opt.int(1, 1_000_000),
    default: "5000",
  },
  txTimeout: txTimeoutOption("longest wait for a challenge transaction to be mined"),
} as const satisfies OptionSpecs;

export type ChallengerConfig = ServiceConfig<typeof challengerOptions>;

/** Raw option values keyed like the config (e.g. `{ pollInterval: "500ms" }`), as a user would give them. */
export type ChallengerConfigInput = ServiceConfigInput<typeof challengerOptions>;
