import { type Address, getAddress, type Hash, isAddress, isHash } from "viem";
import { z } from "zod";

/** Written into every deployments file; bump when the shape changes incompatibly. */
export const DEPLOYMENT_FORMAT = "avskit-deployment-1";

const MAX_UINT96 = (1n << 96n) - 1n;
/** EigenLayer numbers quorums 0..191 (a uint192 bitmap). */
export const MAX_QUORUM_COUNT = 192;

/** Any-case hex address (mixed case must carry a valid EIP-55 checksum), normalised to checksummed. */
export const addressSchema = z
  .string({ error: "expected an address string" })
  .refine((value) => isAddress(value), {
    error: "expected a 20-byte hex address (with a valid checksum if mixed-case)",
  })
  .transform((value): Address => getAddress(value));

const hashSchema = z
  .string({ error: "expected a 32-byte hex string" })
  .refine((value) => isHash(value), { error: "expected a 32-byte hex string" })
  .transform((value): Hash => value.toLowerCase() as Hash);

/** uint96 amounts (stakes, multipliers) are written as decimal strings: JSON numbers lose precision. */
const uint96Schema = z
  .string({ error: "expected a decimal integer string" })
  .regex(/^(0|[1-9][0-9]*)$/, { error: "expected a decimal integer string" })
  .transform((value) => BigInt(value))
  .refine((value) => value <= MAX_UINT96, { error: "does not fit in uint96" });

const positiveUint96Schema = uint96Schema.refine((value) => value > 0n, {
  error: "must be greater than zero",
});

const blockNumberSchema = z.number({ error: "expected a number" }).int().nonnegative();

/** A contract behind an OpenZeppelin TransparentUpgradeableProxy; each proxy has its own ProxyAdmin. */
export const proxiedContractSchema = z.strictObject({
  proxy: addressSchema,
  implementation: addressSchema,
  proxyAdmin: addressSchema,
});

export const avsContractsSchema = z.strictObject({
  registryCoordinator: proxiedContractSchema,
  stakeRegistry: proxiedContractSchema,
  blsApkRegistry: proxiedContractSchema,
  indexRegistry: proxiedContractSchema,
  serviceManager: proxiedContractSchema,
  taskManager: proxiedContractSchema,
  /** Stateless views over the registries (operator sets, signature-check indices); not proxied. */
  operatorStateRetriever: addressSchema,
});

export const quorumStrategySchema = z.strictObject({
  strategy: addressSchema,
  /** The strategy's underlying token. */
  token: addressSchema,
  /** Weight of one share, scaled by 1e18 (EigenLayer's WEIGHTING_DIVISOR). */
  multiplier: positiveUint96Schema,
});

const bipsSchema = z.number({ error: "expected a number" }).int().min(0).max(65_535);

/** The registry coordinator's per-quorum operator-set limits (churn rules). */
export const operatorSetParamsSchema = z.strictObject({
  maxOperatorCount: z.number({ error: "expected a number" }).int().positive().max(0xffff_ffff),
  /** A newcomer may replace an operator whose stake is below this many BIPs of the newcomer's... */
  kickBIPsOfOperatorStake: bipsSchema,
  /** ...and below this many BIPs of the quorum's total stake. */
  kickBIPsOfTotalStake: bipsSchema,
});

export const quorumSchema = z.strictObject({
  quorumNumber: z
    .number({ error: "expected a number" })
    .int()
    .min(0)
    .max(MAX_QUORUM_COUNT - 1),
  /** Weight an operator needs to be in the quorum. */
  minimumStake: uint96Schema,
  operatorSetParams: operatorSetParamsSchema,
  strategies: z.array(quorumStrategySchema).min(1, { error: "a quorum needs at least one strategy" }),
});

export const restakingSchema = z.strictObject({
  /** `stand-in`: avskit's own restaking contracts, deployed with the AVS; `external`: an existing (e.g. forked) EigenLayer. */
  source: z.enum(["stand-in", "external"]),
  delegationManager: addressSchema,
  /** Null when the AVS was pointed at an external DelegationManager whose StrategyManager was not given. */
  strategyManager: addressSchema.nullable(),
  avsDirectory: addressSchema,
});

export const rolesSchema = z.strictObject({
  /** Owns the AVS contracts and every ProxyAdmin. */
  owner: addressSchema,
  /** Signs approvals for registrations that kick an operator out of a full quorum. */
  churnApprover: addressSchema,
  /** May eject operators from quorums. */
  ejector: addressSchema,
  taskGenerators: z.array(addressSchema),
  aggregators: z.array(addressSchema),
});

export const deploymentSchema = z
  .strictObject({
    format: z.literal(DEPLOYMENT_FORMAT, { error: `expected "${DEPLOYMENT_FORMAT}"` }),
    chainId: z.number({ error: "expected a number" }).int().positive(),
    deployer: addressSchema,
    /** The block holding the deployment's last transaction. */
    deployedAt: z.strictObject({
      blockNumber: blockNumberSchema,
      blockHash: hashSchema,
      /** Unix seconds of that block. */
      timestamp: z.number({ error: "expected a number" }).int().nonnegative(),
    }),
    contracts: avsContractsSchema,
    restaking: restakingSchema,
    quorums: z.array(quorumSchema).min(1, { error: "at least one quorum is required" }),
    roles: rolesSchema,
  })
  .superRefine((deployment, ctx) => {
    deployment.quorums.forEach((quorum, index) => {
      if (quorum.quorumNumber !== index) {
        ctx.addIssue({
          code: "custom",
          path: ["quorums", index, "quorumNumber"],
          message: `quorums must be numbered 0, 1, 2... in order; expected ${index}, got ${quorum.quorumNumber}`,
        });
      }
    });
  });

/** A validated deployment: addresses checksummed, uint96 amounts as bigint. */
export type Deployment = z.output<typeof deploymentSchema>;
/** The JSON form of a deployment, as stored in `deployments/<chainId>.json`. */
export type DeploymentJson = z.input<typeof deploymentSchema>;
export type ProxiedContract = Deployment["contracts"]["registryCoordinator"];
/** Names of the contracts behind proxies, in deployment order. */
export const PROXIED_CONTRACTS = [
  "registryCoordinator",
  "stakeRegistry",
  "blsApkRegistry",
  "indexRegistry",
  "serviceManager",
  "taskManager",
] as const satisfies readonly (keyof Deployment["contracts"])[];
export type ProxiedContractName = (typeof PROXIED_CONTRACTS)[number];
export type Quorum = Deployment["quorums"][number];
export type QuorumStrategy = Quorum["strategies"][number];
