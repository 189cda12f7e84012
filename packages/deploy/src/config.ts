import { readFile } from "node:fs/promises";
import { type Address, getAddress, isAddress } from "viem";
import { z } from "zod";
import { InvalidDeployConfigError } from "./errors.js";

const MAX_UINT96 = (1n << 96n) - 1n;
const E18 = 10n ** 18n;

const addressSchema = z
  .string({ error: "expected an address string" })
  .refine((value) => isAddress(value), {
    error: "expected a 20-byte hex address (valid checksum if mixed-case)",
  })
  .transform((value): Address => getAddress(value));

const uint96Schema = z
  .union([z.string(), z.bigint()], { error: "expected a decimal integer string" })
  .refine((value) => typeof value === "bigint" || /^(0|[1-9][0-9]*)$/.test(value), {
    error: "expected a decimal integer string",
  })
  .transform((value) => BigInt(value))
  .refine((value) => value >= 0n && value <= MAX_UINT96, { error: "must fit in uint96" });

const tokenStrategySchema = z.strictObject({
  /** A TestToken and a StrategyVault for it are deployed (restaking stand-in only). */
  token: z.strictObject({ name: z.string().min(1), symbol: z.string().min(1).max(11) }),
  multiplier: uint96Schema.refine((value) => value > 0n, { error: "must be greater than zero" }),
});

const existingStrategySchema = z.strictObject({
  /** An existing strategy (external restaking, e.g. EigenLayer on a fork); its token is read from it. */
  strategy: addressSchema,
  multiplier: uint96Schema.refine((value) => value > 0n, { error: "must be greater than zero" }),
});

const bipsSchema = z.number().int().min(0).max(65_535);

/** Defaults follow EigenLayer's examples: kick only for 10% more stake, and only operators under 10% of the total. */
export const DEFAULT_OPERATOR_SET_PARAMS = {
  maxOperatorCount: 32,
  kickBIPsOfOperatorStake: 11_000,
  kickBIPsOfTotalStake: 1_001,
} as const;

export const operatorSetParamsConfigSchema = z.strictObject({
  maxOperatorCount: z
    .number()
    .int()
    .min(1)
    .max(0xffff_ffff)
    .default(DEFAULT_OPERATOR_SET_PARAMS.maxOperatorCount),
  kickBIPsOfOperatorStake: bipsSchema.default(DEFAULT_OPERATOR_SET_PARAMS.kickBIPsOfOperatorStake),
  kickBIPsOfTotalStake: bipsSchema.default(DEFAULT_OPERATOR_SET_PARAMS.kickBIPsOfTotalStake),
});

export const quorumConfigSchema = z.strictObject({
  /** Weight (Σ shares·multiplier/1e18) an operator needs to join the quorum. */
  minimumStake: uint96Schema,
  operatorSetParams: operatorSetParamsConfigSchema.default({ ...DEFAULT_OPERATOR_SET_PARAMS }),
  strategies: z.array(z.union([tokenStrategySchema, existingStrategySchema])).min(1, {
    error: "a quorum needs at least one strategy",
  }),
});

/** The `--quorums <file>` JSON: `{ "quorums": [ ... ] }`. */
export const quorumFileSchema = z.strictObject({
  quorums: z.array(quorumConfigSchema).min(1).max(192),
});

export type QuorumConfig = z.output<typeof quorumConfigSchema>;
export type QuorumConfigInput = z.input<typeof quorumConfigSchema>;
export type StrategyConfig = QuorumConfig["strategies"][number];

/**
 * Devnet defaults: two quorums, each with its own tokens. Quorum 0 weighs one token 1:1;
 * quorum 1 weighs two tokens, the second at half weight, and needs more stake.
 */
export const DEFAULT_QUORUMS: readonly QuorumConfig[] = [
  {
    minimumStake: 1n * E18,
    operatorSetParams: { ...DEFAULT_OPERATOR_SET_PARAMS },
    strategies: [{ token: { name: "avskit Devnet Staked ETH", symbol: "dstETH" }, multiplier: E18 }],
  },
  {
    minimumStake: 10n * E18,
    operatorSetParams: { ...DEFAULT_OPERATOR_SET_PARAMS },
    strategies: [
      { token: { name: "avskit Devnet EIGEN", symbol: "dEIGEN" }, multiplier: E18 },
      { token: { name: "avskit Devnet USD", symbol: "dUSD" }, multiplier: E18 / 2n },
    ],
  },
];

/** Blocks the aggregator has to respond to a task (TaskManager immutable). */
export const DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS = 30;
/** Blocks after a response during which it can be challenged (TaskManager immutable). */
export const DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS = 100;

/** Where the restaking contracts come from. */
export type RestakingConfig =
  | {
      kind: "stand-in";
      /** Blocks a queued withdrawal waits in the stand-in DelegationManager (default 10). */
      minWithdrawalDelayBlocks?: number;
    }
  | {
      kind: "external";
      delegationManager: Address;
      avsDirectory: Address;
      /** Recorded in the deployments file when known; not needed by the AVS contracts. */
      strategyManager?: Address;
    };

export interface DeployConfig {
  /** Owner of the AVS contracts and their ProxyAdmins; the deployer when omitted. */
  owner?: Address;
  /** May create tasks; the deployer when omitted. */
  taskGenerators?: readonly Address[];
  /** May respond to tasks; the deployer when omitted. */
  aggregators?: readonly Address[];
  /** Signs churn approvals; the owner when omitted. */
  churnApprover?: Address;
  /** May eject operators; the owner when omitted. */
  ejector?: Address;
  /** The AVS's metadata URI, set through the AVSDirectory; not set when omitted or empty. */
  metadataUri?: string;
  /** `DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS` when omitted. */
  taskResponseWindowBlocks?: number;
  /** `DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS` when omitted. */
  taskChallengeWindowBlocks?: number;
  /** The restaking stand-in when omitted. */
  restaking?: RestakingConfig;
  /** `DEFAULT_QUORUMS` when omitted. */
  quorums?: readonly QuorumConfig[];
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("");
    return `${path.replace(/^\./, "") || "(root)"}: ${issue.message}`;
  });
}

/** Validates quorum definitions against the restaking source (stand-in: tokens; external: strategies). */
export function checkQuorums(
  quorums: readonly QuorumConfig[],
  restaking: RestakingConfig,
  source: string,
): void {
  const issues: string[] = [];
  if (quorums.length === 0) issues.push("quorums: at least one quorum is required");
  quorums.forEach((quorum, q) => {
    const seen = new Set<string>();
    quorum.strategies.forEach((strategy, s) => {
      const where = `quorums[${q}].strategies[${s}]`;
      if ("token" in strategy && restaking.kind === "external") {
        issues.push(
          `${where}: with an external DelegationManager, give an existing "strategy" address, not a "token"`,
        );
      }
      if ("strategy" in strategy && restaking.kind === "stand-in") {
        issues.push(`${where}: the restaking stand-in creates its strategies; give a "token" {name, symbol}`);
      }
      const key = "strategy" in strategy ? strategy.strategy.toLowerCase() : `token:${strategy.token.symbol}`;
      if (seen.has(key)) issues.push(`${where}: duplicate strategy in the same quorum`);
      seen.add(key);
    });
  });
  if (issues.length > 0) throw new InvalidDeployConfigError(source, issues);
}

/** Parses a quorum file's JSON value. */
export function parseQuorumFile(json: unknown, source: string): QuorumConfig[] {
  const result = quorumFileSchema.safeParse(json);
  if (!result.success) throw new InvalidDeployConfigError(source, issuesOf(result.error));
  return result.data.quorums;
}

/** Reads and validates a quorum file. */
export async function loadQuorumFile(path: string): Promise<QuorumConfig[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidDeployConfigError(path, [`cannot read the quorum file: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidDeployConfigError(path, [`not JSON: ${(error as Error).message}`]);
  }
  return parseQuorumFile(json, path);
}
