import { availableParallelism } from "node:os";
import {
  ecdsaSignerOptions,
  httpLimitOptions,
  type OptionSpecs,
  opt,
  positiveDuration,
  rpcUrlOption,
  taskManagerLocationOptions,
} from "@avskit/runtime";

/** Every option has an `AVSKIT_AGGREGATOR_*` env var (e.g. AVSKIT_AGGREGATOR_LISTEN). */
export const ENV_PREFIX = "AVSKIT_AGGREGATOR_";

/**
 * The aggregator's own options; the service kit adds `--metrics-addr` (default
 * 127.0.0.1:9092), `--log-level`, `--log-format` and `--config`.
 */
export const aggregatorOptions = {
  rpcUrl: rpcUrlOption(),
  ...taskManagerLocationOptions(),
  operatorStateRetrieverAddr: {
    flag: "--operator-state-retriever-addr",
    value: "address",
    description:
      "a deployed OperatorStateRetriever; without it (and none in the deployments file) its code is put into each eth_call by state override",
    schema: opt.address(),
  },
  ...ecdsaSignerOptions(
    "private key of an account with the aggregator role (prefer the env var: flags show in `ps`)",
  ),
  listen: {
    flag: "--listen",
    value: "host:port",
    description: "where the HTTP API listens for operators' signed responses (port 0 picks a free one)",
    schema: opt.listenAddress(),
    default: "127.0.0.1:8090",
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
    description:
      "signatures waiting for verification at most, over all operators; at the limit the operator with the most waiting gets 429 OVERLOADED",
    schema: opt.int(1, 1_000_000),
    default: "4096",
  },
  maxPendingPerOperator: {
    flag: "--max-pending-per-operator",
    value: "n",
    description:
      "signatures one operator may have waiting for verification; beyond it that operator gets 429 OVERLOADED",
    schema: opt.int(1, 1_000_000),
    default: "16",
  },
  verifyWorkers: {
    flag: "--verify-workers",
    value: "n",
    description:
      "worker threads verifying signature batches off the event loop; the default is the CPUs available to the process less one (at least 1), here",
    schema: opt.int(1, 256),
    // One core is left to the event loop (HTTP, chain polling); on a 2-core machine that is 1.
    default: String(Math.max(1, availableParallelism() - 1)),
  },
  maxAttemptsPerTask: {
    flag: "--max-attempts-per-task",
    value: "n",
    description:
      "signatures verified per operator per task at most; beyond it the operator is refused with TOO_MANY_ATTEMPTS before any curve arithmetic (a resend of a counted response is no attempt)",
    schema: opt.int(1, 1_000),
    default: "3",
  },
  sessionLifetime: {
    flag: "--session-lifetime",
    value: "duration",
    description: "how long an operator's session token is valid after it logs in (POST /v1/sessions)",
    schema: positiveDuration("1h, 15m"),
    default: "1h",
  },
  loginRate: {
    flag: "--login-rate",
    value: "n",
    description:
      "logins (POST /v1/sessions) per second from all clients together, each one secp256k1 recovery; beyond it 429 LOGIN_RATE_LIMITED",
    schema: opt.int(1, 100_000),
    default: "100",
  },
  loginRatePerClient: {
    flag: "--login-rate-per-client",
    value: "n",
    description: "logins per second from one client address; beyond it 429 LOGIN_RATE_LIMITED",
    schema: opt.int(1, 100_000),
    default: "10",
  },
  bodyLimit: {
    flag: "--body-limit",
    value: "bytes",
    description: "largest request body accepted (a signed response is about 400 bytes)",
    schema: opt.int(256, 1_048_576),
    default: "8192",
  },
  ...httpLimitOptions(),
  pollInterval: {
    flag: "--poll-interval",
    value: "duration",
    description: "how often to poll the chain for blocks and task events",
    schema: positiveDuration("500ms, 2s"),
    default: "500ms",
  },
  gasMultiplier: {
    flag: "--gas-multiplier",
    value: "x",
    description: "gas limit = estimate × this",
    schema: opt.number(1),
    default: "1.2",
  },
} as const satisfies OptionSpecs;
