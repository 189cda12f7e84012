import {
  blsKeyOptions,
  ecdsaSignerOptions,
  httpLimitOptions,
  type OptionSpecs,
  opt,
  positiveDuration,
  registryNetworkOptions,
} from "@avskit/runtime";
import type { Hex } from "viem";
import { z } from "zod";

/** Every option has an `AVSKIT_DOWNTIME_*` env var (e.g. AVSKIT_DOWNTIME_LISTEN). */
export const ENV_PREFIX = "AVSKIT_DOWNTIME_";

const duration = (flag: `--${string}`, description: string, defaultValue: string) =>
  ({
    flag,
    value: "duration",
    description,
    schema: positiveDuration("500ms, 2s, 1h"),
    default: defaultValue,
  }) as const;

/** `operatorId=url`: where that operator's downtime-log service takes confirmation requests. */
const peerSchema = z.string().transform((value, ctx) => {
  const match = /^(0x[0-9a-fA-F]{64})=(https?:\/\/.+)$/.exec(value);
  if (!match) {
    ctx.addIssue({ code: "custom", message: `${value}: expected <operatorId>=<http(s) url>` });
    return z.NEVER;
  }
  return { operatorId: match[1]!.toLowerCase() as Hex, url: match[2]! };
});

/** An ISO-8601 time or whole milliseconds since the Unix epoch. */
const instant = z.string().transform((value, ctx) => {
  const ms = /^[0-9]{1,16}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({
      code: "custom",
      message: "expected an ISO-8601 time (2026-01-01T00:00:00Z) or ms since 1970",
    });
    return z.NEVER;
  }
  return ms;
});

/** The service's own options; the service kit adds --metrics-addr, --log-level, --log-format, --config. */
export const downtimeOptions = {
  networkFile: {
    flag: "--network-file",
    value: "file",
    description:
      "static network file (members with address, stake, node URL, BLS keys and proof of possession): whom to watch and whose stake counts; without it they are read from the registries (--rpc-url)",
    schema: opt.string(),
  },
  ...registryNetworkOptions(),
  maxReferenceAge: duration(
    "--max-reference-age",
    "registries: an event's reference block may be mined at most this long before its observation (every replica must use the same)",
    "1h",
  ),
  networkRefresh: duration(
    "--network-refresh",
    "registries: how often the newest reference block is read (whom to watch, whose stake counts in new statements)",
    "10s",
  ),
  sequencerNetworkFile: {
    flag: "--sequencer-network-file",
    value: "file",
    description:
      "the sequencer's static network file, against which the SDK checks the log's finality certificates (default: --network-file)",
    schema: opt.string(),
  },
  sequencerReferenceBlock: {
    flag: "--sequencer-reference-block",
    value: "n",
    description:
      "for a sequencer on the registries: the block its first operator set was read at (the SDK follows the set changes voted since)",
    schema: opt.int(0, 2 ** 32 - 1),
  },
  threshold: {
    flag: "--threshold",
    value: "percent",
    description:
      "stake that must sign an event, in percent of the network's total (every replica must use the same value)",
    schema: opt.int(51, 100),
    default: "67",
  },
  listen: {
    flag: "--listen",
    value: "host:port",
    description:
      "where the HTTP API (answers, and the peers' confirmation requests) listens; port 0 picks a free one",
    schema: opt.listenAddress(),
    default: "127.0.0.1:7080",
  },
  dataDir: {
    flag: "--data-dir",
    value: "dir",
    description: "folder of the replica's SQLite database (downtime.db), created if missing",
    schema: opt.string(),
    required: true,
  },
  peers: {
    flag: "--peers",
    value: "list",
    description:
      "the other operators' downtime-log services, comma-separated <operatorId>=<url>; operators without one are watched but not asked to confirm",
    schema: opt.list(peerSchema),
  },
  sequencerUrls: {
    flag: "--sequencer-urls",
    value: "list",
    description: "sequencer nodes the SDK talks to, comma-separated (default: every member's URL)",
    schema: opt.list(opt.url()),
  },
  ...blsKeyOptions("BN254 secret key of this operator: signs the statements it confirms"),
  ...ecdsaSignerOptions(
    "secp256k1 key of this operator's registered address: signs its confirmation requests to peers (prefer the env var: flags show in `ps`)",
  ),
  probeInterval: duration("--probe-interval", "how often every other operator's node is probed", "1s"),
  probeTimeout: duration(
    "--probe-timeout",
    "a probe with no 2xx reply within this long counts as down",
    "500ms",
  ),
  suspectAfter: {
    flag: "--suspect-after",
    value: "n",
    description: "consecutive probes disagreeing with the log before a change is suspected",
    schema: opt.int(1, 1000),
    default: "3",
  },
  confirmTimeout: duration("--confirm-timeout", "longest a round of confirmation requests waits", "3s"),
  resubmitAfter: duration(
    "--resubmit-after",
    "a change posted but not yet applied is proposed again after this long",
    "15s",
  ),
  maxClockSkew: duration(
    "--max-clock-skew",
    "how far an observation time may be from a confirmer's clock, and behind the log's newest event",
    "30s",
  ),
  epochLength: duration("--epoch-length", "length of an epoch (every replica must use the same)", "1h"),
  epochOrigin: {
    flag: "--epoch-origin",
    value: "time",
    description:
      "start of epoch 0, ISO-8601 or ms since 1970 (default: the Unix epoch, so epochs align with UTC)",
    schema: instant,
    default: "0",
  },
  lagInterval: duration(
    "--lag-interval",
    "how often the log's finalized tip is read for the replica lag",
    "2s",
  ),
  ...httpLimitOptions(),
} as const satisfies OptionSpecs;
