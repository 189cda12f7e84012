import {
  ecdsaSignerOptions,
  type OptionSpecs,
  opt,
  pollIntervalOption,
  positiveDuration,
  rpcUrlOption,
  type ServiceConfig,
  type ServiceConfigInput,
  taskManagerLocationOptions,
  txTimeoutOption,
} from "@avskit/runtime";
import { z } from "zod";

/** Every option has an `AVSKIT_TASK_GENERATOR_*` env var (e.g. AVSKIT_TASK_GENERATOR_INTERVAL). */
export const ENV_PREFIX = "AVSKIT_TASK_GENERATOR_";

/** EigenLayer numbers quorums 0..191. */
const MAX_QUORUM = 191;

/** Largest operand: two of them still sum to at most 2^256 - 2, so a + b never overflows a uint256. */
export const MAX_OPERAND_LIMIT = (1n << 255n) - 1n;

const operandBound = () =>
  z.union([z.string(), z.number(), z.bigint()]).transform((value, ctx) => {
    const text = String(value).trim();
    if (!/^[0-9]+$/.test(text)) {
      ctx.addIssue({ code: "custom", message: "must be a whole number" });
      return z.NEVER;
    }
    const bound = BigInt(text);
    if (bound < 1n || bound > MAX_OPERAND_LIMIT) {
      ctx.addIssue({
        code: "custom",
        message: "must be between 1 and 2^255 - 1 (so that a + b fits in a uint256)",
      });
      return z.NEVER;
    }
    return bound;
  });

/** Distinct quorum numbers, sorted ascending as the contracts want them. */
const quorumList = () =>
  opt
    .list(opt.int(0, MAX_QUORUM))
    .pipe(z.array(z.number()).min(1, "needs at least one quorum"))
    .transform((quorums, ctx) => {
      const sorted = [...new Set(quorums)].sort((x, y) => x - y);
      if (sorted.length !== quorums.length) {
        ctx.addIssue({ code: "custom", message: "lists a quorum twice" });
        return z.NEVER;
      }
      return sorted;
    });

/** The task generator's own options; the service kit adds --metrics-addr (default 127.0.0.1:9091) and logging. */
export const taskGeneratorOptions = {
  rpcUrl: rpcUrlOption(),
  ...taskManagerLocationOptions(),
  ...ecdsaSignerOptions(
    "private key of an account with the task-generator role (prefer the env var: flags show in `ps`)",
  ),
  interval: {
    flag: "--interval",
    value: "duration",
    description: "time between tasks (20s, 500ms, 1m); the first task is posted at once",
    schema: positiveDuration("20s, 500ms, 1m"),
    default: "20s",
  },
  thresholdPercentage: {
    flag: "--threshold-percentage",
    value: "percent",
    description: "share of each quorum's stake (1..100) that must sign a response",
    schema: opt.int(1, 100),
    default: "67",
  },
  quorums: {
    flag: "--quorums",
    value: "numbers",
    description:
      "quorums that must sign each task (comma-separated); every quorum of the deployment when omitted",
    schema: quorumList(),
  },
  maxOperand: {
    flag: "--max-operand",
    value: "n",
    description: "operands are drawn uniformly from 0..n (at most 2^255 - 1, so the sum fits in a uint256)",
    schema: operandBound(),
    default: "1000000000",
  },
  maxTasks: {
    flag: "--max-tasks",
    value: "n",
    description: "exit 0 after posting this many tasks (runs until stopped when omitted)",
    schema: opt.int(1),
  },
  txTimeout: txTimeoutOption(
    "longest wait for a task's transaction to be mined; later ticks are skipped meanwhile",
    "60s",
    "20s, 500ms, 1m",
  ),
  pollInterval: pollIntervalOption("500ms", "how often to poll for the receipt", "20s, 500ms, 1m"),
} as const satisfies OptionSpecs;

export type TaskGeneratorConfig = ServiceConfig<typeof taskGeneratorOptions>;

/** Raw option values keyed like the config (e.g. `{ interval: "5s", quorums: [0, 1] }`), as a user would give them. */
export type TaskGeneratorConfigInput = ServiceConfigInput<typeof taskGeneratorOptions>;
