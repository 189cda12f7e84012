import { availableParallelism } from "node:os";
import {
  blsKeyOptions,
  ecdsaSignerOptions,
  httpLimitOptions,
  type OptionSpecs,
  opt,
  positiveDuration,
  registryNetworkOptions,
} from "@avskit/runtime";
import { z } from "zod";

/** Every option has an `AVSKIT_SEQUENCER_*` env var (e.g. AVSKIT_SEQUENCER_LISTEN). */
export const ENV_PREFIX = "AVSKIT_SEQUENCER_";

const duration = (flag: `--${string}`, description: string, defaultValue: string, examples = "100ms, 2s") =>
  ({
    flag,
    value: "duration",
    description,
    schema: positiveDuration(examples),
    default: defaultValue,
  }) as const;

/**
 * The node's own options; the service kit adds `--metrics-addr` (default 127.0.0.1:9094),
 * `--log-level`, `--log-format` and `--config`.
 */
export const sequencerOptions = {
  // Where the network (members, stakes, keys, urls) comes from.
  networkFile: {
    flag: "--network-file",
    value: "file",
    description:
      "static network file (version 1: members with address, stake, url, BLS keys and proof of possession); without it the network is read from the chain",
    schema: opt.string(),
  },
  ...registryNetworkOptions(),
  referenceBlock: {
    flag: "--reference-block",
    value: "n|latest-1",
    description: "block the stakes are read at (default: the latest block less one, read at start)",
    schema: z.union([z.literal("latest-1"), opt.int(0, 2 ** 32 - 1)]),
    default: "latest-1",
  },
  threshold: {
    flag: "--threshold",
    value: "percent",
    description: "stake that makes a quorum, in percent (θ; the fault model needs ≥ 67)",
    schema: opt.int(51, 100),
    default: "67",
  },

  // This node.
  listen: {
    flag: "--listen",
    value: "host:port",
    description: "where the HTTP API (clients and peers) listens; port 0 picks a free one",
    schema: opt.listenAddress(),
    default: "127.0.0.1:7070",
  },
  dataDir: {
    flag: "--data-dir",
    value: "dir",
    description: "folder of the node's SQLite database (sequencer.db), created if missing",
    schema: opt.string(),
    required: true,
  },
  fsync: {
    flag: "--fsync",
    description:
      "fsync every commit (synchronous=FULL): acknowledged batches and votes survive power loss, not only a crash of the process",
    schema: opt.bool(),
    default: "false",
  },
  ...blsKeyOptions("BN254 secret key that signs lock and finalize votes"),
  ...ecdsaSignerOptions(
    "secp256k1 key of the member's registered address: signs peer requests, tip statements and view-change votes (prefer the env var: flags show in `ps`)",
  ),

  // Rounds and leader change.
  heartbeat: duration("--heartbeat", "an idle leader sends one round per app this often", "100ms"),
  roundTimeout: duration("--round-timeout", "longest a round waits for its quorums", "1s"),
  networkRefresh: duration(
    "--network-refresh",
    "how often the network file (or the registries, on a chain network) is re-read; a changed operator set is voted onto the next term (0 = never)",
    "5s",
  ),
  maxRoundBytes: {
    flag: "--max-round-bytes",
    value: "bytes",
    description: "entry bytes one round carries at most (a follower far behind catches up over several)",
    schema: opt.int(65_536, 64 * 1024 * 1024),
    // 4 MiB rounds of 10 kB batches stalled finality (17 tx/s in bench:sequencer); 512 KiB reached 2,140.
    default: String(512 * 1024),
  },
  leaderTimeout: duration(
    "--leader-timeout",
    "a follower suspects the leader after this long without a valid round",
    "2s",
  ),
  censorshipTimeout: duration(
    "--censorship-timeout",
    "a forwarded batch not sequenced this long is sent to every peer (dispute); still not sequenced after as long again, the leader is suspected",
    "3s",
  ),
  finalityTimeout: duration(
    "--finality-timeout",
    "the leader is suspected when the oldest sequenced entry is not final after this long",
    "5s",
  ),
  resendAfter: duration(
    "--resend-after",
    "pending batches not sequenced are forwarded again after this long",
    "2s",
  ),

  // Client API limits.
  maxBatchBytes: {
    flag: "--max-batch-bytes",
    value: "bytes",
    description: "largest batch body; larger ones get 413 BATCH_TOO_LARGE",
    schema: opt.int(1, 16 * 1024 * 1024),
    default: "65536",
  },
  maxBatchesPerRequest: {
    flag: "--max-batches-per-request",
    value: "n",
    description: "batches one POST may carry; more get 413 TOO_MANY_BATCHES",
    schema: opt.int(1, 100_000),
    default: "1000",
  },
  bodyLimit: {
    flag: "--body-limit",
    value: "bytes",
    description:
      "largest request body (client and peer requests; a round can carry --max-round-bytes of entries, base64)",
    schema: opt.int(1024, 256 * 1024 * 1024),
    default: String(8 * 1024 * 1024),
  },
  maxPending: {
    flag: "--max-pending",
    value: "n",
    description:
      "batches this node keeps pending (acknowledged, not final) at most; beyond it 503 OVERLOADED",
    schema: opt.int(1, 100_000_000),
    default: "100000",
  },
  verifyWorkers: {
    flag: "--verify-workers",
    value: "n",
    description: "worker threads running the pairings (certificates, vote shares) off the event loop",
    schema: opt.int(1, 64),
    default: String(Math.max(1, Math.min(2, availableParallelism() - 1))),
  },
  ...httpLimitOptions(),
  // Peers of a local network share 127.0.0.1 with the clients, and every round is a request.
  rateLimit: { ...httpLimitOptions().rateLimit, default: "5000" },
  rateLimitBurst: { ...httpLimitOptions().rateLimitBurst, default: "10000" },
  fault: {
    flag: "--fault",
    value: "list",
    description:
      "TEST ONLY, refused unless AVSKIT_SEQUENCER_TEST_FAULTS=1: censor:<operatorId>, equivocate, silent-leader (comma-separated)",
    schema: opt.list(z.string()),
  },
} as const satisfies OptionSpecs;
