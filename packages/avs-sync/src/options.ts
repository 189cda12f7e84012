import { ecdsaSignerOptions, type OptionSpecs, opt, type ServiceConfig } from "@avskit/runtime";
import { z } from "zod";
import { parseTimeOfDay, type TimeOfDay } from "./time-of-day.js";

export const ENV_PREFIX = "AVS_SYNC_";

/** EigenLayer numbers quorums 0..191. */
const MAX_QUORUM = 191;

const timeOfDay = () =>
  z.string().transform((value, ctx): TimeOfDay => {
    try {
      return parseTimeOfDay(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

/**
 * avs-sync's own options; each has a flag, an `AVS_SYNC_*` env var and a `--config` file key.
 * The service kit adds `--metrics-addr` (default 127.0.0.1:9090; `none` for overlapping cron
 * runs), `--log-level` and `--log-format`.
 */
export const syncOptionSpecs = {
  ethHttpUrl: {
    flag: "--eth-http-url",
    value: "url",
    description: "JSON-RPC endpoint of the chain",
    schema: opt.url(),
    required: true,
  },
  deploymentsDir: {
    flag: "--deployments-dir",
    value: "dir",
    description:
      "folder of deployments/<chainId>.json, where contract addresses are read from unless given below (default: $AVSKIT_DEPLOYMENTS_DIR or ./deployments)",
    schema: opt.string(),
  },
  registryCoordinatorAddr: {
    flag: "--registry-coordinator-addr",
    value: "address",
    description: "RegistryCoordinator (proxy) address; overrides the deployments file",
    schema: opt.address(),
  },
  operatorStateRetrieverAddr: {
    flag: "--operator-state-retriever-addr",
    value: "address",
    description:
      "accepted so that the Go worker's configurations keep working; not needed (operator lists come from the IndexRegistry)",
    schema: opt.address(),
  },
  serviceManagerAddr: {
    flag: "--service-manager-addr",
    value: "address",
    description: "ServiceManager address; when given, checked against the coordinator's at start-up",
    schema: opt.address(),
  },
  ...ecdsaSignerOptions(
    "signer's private key (prefer the env var: flags show in `ps`)",
    "signer's encrypted keystore file (Web3 Secret Storage v3, as geth and eigenlayer-cli write it)",
  ),
  syncInterval: {
    flag: "--sync-interval",
    value: "duration",
    description: "time between syncs (24h, 30m, 90s); 0 syncs once and exits (for cron)",
    schema: opt.duration(),
    default: "24h",
  },
  firstSyncTime: {
    flag: "--first-sync-time",
    value: "HH:MM:SS",
    description: "UTC time of day of the first sync (tomorrow if already past today); at once when omitted",
    schema: timeOfDay(),
  },
  operators: {
    flag: "--operators",
    value: "addresses",
    description: "subset mode: update just these operators (comma-separated) in all their quorums",
    schema: opt.list(opt.address()).refine((list) => list.length > 0, "needs at least one address"),
  },
  quorums: {
    flag: "--quorums",
    value: "numbers",
    description: "quorum numbers to update (comma-separated); all quorums when omitted",
    schema: opt.list(opt.int(0, MAX_QUORUM)).refine((list) => list.length > 0, "needs at least one quorum"),
  },
  fetchQuorumsDynamically: {
    flag: "--fetch-quorums-dynamically",
    description: "read the quorum count from chain at every run (and check --quorums against it)",
    schema: opt.bool(),
    default: "true",
  },
  readerTimeoutDuration: {
    flag: "--reader-timeout-duration",
    value: "duration",
    description: "timeout of each read call (use ≥ 1m against a fork)",
    schema: opt.duration(),
    default: "5s",
  },
  writerTimeoutDuration: {
    flag: "--writer-timeout-duration",
    value: "duration",
    description: "timeout of each write, receipt wait included",
    schema: opt.duration(),
    default: "90s",
  },
  retrySyncNTimes: {
    flag: "--retry-sync-n-times",
    value: "n",
    description: "tries per update (each re-reads the operator set), in both modes",
    schema: opt.int(1, 100),
    default: "3",
  },
  retryInitialBackoff: {
    flag: "--retry-initial-backoff",
    value: "duration",
    description: "wait after the first failed try; doubles after each further one",
    schema: opt.duration(),
    default: "2s",
  },
  retryMaxBackoff: {
    flag: "--retry-max-backoff",
    value: "duration",
    description: "longest wait between tries",
    schema: opt.duration(),
    default: "1m",
  },
  dryRun: {
    flag: "--dry-run",
    description:
      "report per quorum the operators whose recorded stake differs and the estimated gas; send nothing",
    schema: opt.bool(),
    default: "false",
  },
  force: {
    flag: "--force",
    description: "update a quorum even when every recorded stake is current",
    schema: opt.bool(),
    default: "false",
  },
  refreshAfter: {
    flag: "--refresh-after",
    value: "duration",
    description:
      "update a quorum whose stakes are all current anyway once its last full update is this old, so a stale-stake guard never trips; 0 = never",
    schema: opt.duration(),
    default: "6d",
  },
  maxGasPerTx: {
    flag: "--max-gas-per-tx",
    value: "gas",
    description: "refuse to send an update estimated above this gas, naming the quorum",
    schema: opt.int(21_000),
  },
} as const satisfies OptionSpecs;

/** The validated configuration: avs-sync's options and the kit's. */
export type SyncConfig = ServiceConfig<typeof syncOptionSpecs>;

/** Default of the kit's --metrics-addr. */
export const DEFAULT_METRICS_ADDR = "127.0.0.1:9090";
