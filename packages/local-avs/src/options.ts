import { addOptions, type ConfigOf, type OptionSpecs, opt, resolveConfig } from "@avskit/runtime";
import { Command } from "commander";
import { defaultDevnetDir } from "./paths.js";

/** Every option has an `AVSKIT_LOCAL_*` env var (e.g. AVSKIT_LOCAL_OPERATORS=6). */
export const ENV_PREFIX = "AVSKIT_LOCAL_";

const positiveDuration = () =>
  opt.duration().refine((ms) => ms > 0, "must be longer than 0 (examples: 5s, 500ms, 1m)");

export const localAvsOptionSpecs = {
  operators: {
    flag: "--operators",
    value: "n",
    description: "operators to create, fund, register and run (spread over quorums 0 and 1)",
    schema: opt.int(1, 32),
    default: "4",
  },
  taskInterval: {
    flag: "--task-interval",
    value: "duration",
    description: "time between tasks (the task generator's own default is 20s; 5s keeps the demo lively)",
    schema: positiveDuration(),
    default: "5s",
  },
  port: {
    flag: "--port",
    value: "port",
    description: "anvil's JSON-RPC port on 127.0.0.1 (0 picks a free one)",
    schema: opt.int(0, 65_535),
    default: "8545",
  },
  aggregatorPort: {
    flag: "--aggregator-port",
    value: "port",
    description: "the aggregator's HTTP API port on 127.0.0.1 (0 picks a free one)",
    schema: opt.int(0, 65_535),
    default: "8090",
  },
  dashboard: {
    flag: "--dashboard",
    description:
      "serve the live web dashboard (tasks, operators, avs-sync, sequencer, health) on 127.0.0.1; --no-dashboard turns it off",
    schema: opt.bool(),
    default: "true",
  },
  dashboardPort: {
    flag: "--dashboard-port",
    value: "port",
    description: "the dashboard's HTTP port on 127.0.0.1 (0 picks a free one)",
    schema: opt.int(0, 65_535),
    default: "8091",
  },
  sequencer: {
    flag: "--sequencer",
    description:
      "run a sequencer node and a downtime-log replica per operator beside the task AVS; --no-sequencer runs the task AVS alone (8 processes fewer, a faster start)",
    schema: opt.bool(),
    default: "true",
  },
  downtimeLogUrl: {
    flag: "--downtime-log-url",
    value: "url",
    description:
      "a downtime-log replica whose current-epoch answer the dashboard shows instead of the devnet's own replicas'",
    schema: opt.url(),
  },
  forkUrl: {
    flag: "--fork-url",
    value: "url",
    description:
      "JSON-RPC URL of a chain for anvil to fork (a testnet or mainnet RPC): the AVS is deployed and run on the fork, on 127.0.0.1; without it a fresh chain",
    schema: opt.url(),
  },
  blockTime: {
    flag: "--block-time",
    value: "seconds",
    description:
      "a block every this many seconds once everything is set up, so response windows pass in real time; 0 = automine (a block per transaction)",
    schema: opt.int(0, 3_600),
    default: "1",
  },
  exitAfterTasks: {
    flag: "--exit-after-tasks",
    value: "n",
    description:
      "stop everything and exit 0 once n tasks are responded on-chain (the summary's last line is JSON)",
    schema: opt.int(1),
  },
  thresholdPercentage: {
    flag: "--threshold-percentage",
    value: "percent",
    description: "share of each quorum's stake that must sign a task (the task generator's default: 67)",
    schema: opt.int(1, 100),
  },
  syncInterval: {
    flag: "--sync-interval",
    value: "duration",
    description: "how often avs-sync pushes current stakes on-chain",
    schema: positiveDuration(),
    default: "15s",
  },
  driftInterval: {
    flag: "--drift-interval",
    value: "duration",
    description:
      "every this long an operator deposits a few more tokens, so its stake drifts and avs-sync has work; 0 = never",
    schema: opt.duration(),
    default: "20s",
  },
  devnetDir: {
    flag: "--devnet-dir",
    value: "dir",
    description: "where keys, logs and the deployment record go (wiped keys and logs on each start)",
    schema: opt.string(),
    default: "<repo>/.devnet",
  },
  serviceLogLevel: {
    flag: "--service-log-level",
    value: "level",
    description: "log level of the services' JSON logs (trace, debug, info, warn, error)",
    schema: opt.enum(["trace", "debug", "info", "warn", "error"]),
    default: "info",
  },
} as const satisfies OptionSpecs;

export type LocalAvsConfig = ConfigOf<typeof localAvsOptionSpecs>;

export function localAvsCommand(): Command {
  const command = new Command("avskit-local")
    .description(
      "Runs the whole AVS on a local chain: starts anvil on 127.0.0.1, deploys, creates and registers operators with fresh keys, and runs the aggregator, the operators, the task generator, the challenger and avs-sync as their own processes. Shows each task's answer, signing stake per quorum, transaction and latency from chain events. Ctrl-C stops everything.",
    )
    .showHelpAfterError();
  addOptions(command, localAvsOptionSpecs, ENV_PREFIX);
  // commander's negation of --dashboard: it sets the same key to false, and defining it after
  // --dashboard leaves that option's default unset, so resolveConfig's precedence still applies.
  command.option("--no-dashboard", "do not serve the web dashboard [same as --dashboard false]");
  command.option("--no-sequencer", "run no sequencer nodes and no downtime logs [same as --sequencer false]");
  return command;
}

/** Resolves the options (flag > env > --config file > default), with the devnet folder made absolute. */
export function resolveLocalAvsConfig(command: Command, env: NodeJS.ProcessEnv): LocalAvsConfig {
  const config = resolveConfig(command, localAvsOptionSpecs, ENV_PREFIX, env);
  return {
    ...config,
    devnetDir: config.devnetDir === "<repo>/.devnet" ? defaultDevnetDir() : config.devnetDir,
  };
}
