import type { Address, Hex } from "viem";
import type { Deployment } from "./deployment-schema.js";
import {
  DeploymentNotFoundError,
  deploymentPath,
  InvalidDeploymentError,
  type LoadDeploymentOptions,
  loadDeployment,
} from "./deployments.js";

/** The AVS contracts a deployments file records, by the name the file uses. */
export type AvsContractName = keyof Deployment["contracts"];

/** One contract a service needs: where a flag may give it, and whether it may be absent. */
export interface ContractWanted {
  /** The address the user gave (a flag, an env var, a config file); wins over the deployments file. */
  readonly address?: Address | undefined;
  /** How the user gives it, for messages, e.g. "--task-manager-addr". */
  readonly flag: string;
  /**
   * May be absent: read from the deployments file only when that file is read for another
   * contract anyway, and `undefined` when neither gives it.
   */
  readonly optional?: boolean;
}

/** Why a contract could not be found. */
export type ContractResolutionProblem =
  /** The deployments file for the chain does not exist. */
  | "no-deployment"
  /** The deployments file is not a valid deployment (or is for another chain). */
  | "invalid-deployment"
  /** The address (given, or from the file) holds no code: a restarted chain, or a typo. */
  | "no-code";

/** The one error of contract resolution; `problem` says which case, the message what to do. */
export class ContractResolutionError extends Error {
  readonly problem: ContractResolutionProblem;
  readonly chainId: number;
  /** The contract, for `no-code`. */
  readonly contract: AvsContractName | undefined;
  readonly address: Address | undefined;
  /** Where the address came from: the flag, or the deployments file's path. */
  readonly source: string;
  constructor(
    problem: ContractResolutionProblem,
    details: {
      chainId: number;
      source: string;
      message: string;
      contract?: AvsContractName;
      address?: Address;
      cause?: unknown;
    },
  ) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "ContractResolutionError";
    this.problem = problem;
    this.chainId = details.chainId;
    this.contract = details.contract;
    this.address = details.address;
    this.source = details.source;
  }
}

/** What resolution needs of a chain client (viem's PublicClient has both). */
export interface CodeReader {
  readonly chain: { readonly id: number };
  getCode(args: { address: Address }): Promise<Hex | undefined>;
}

export interface ResolveContractsOptions<W extends Partial<Record<AvsContractName, ContractWanted>>>
  extends LoadDeploymentOptions {
  /** The contracts wanted. */
  readonly contracts: W;
  /** Also load the deployments file when every contract was given (its quorums, say). */
  readonly needDeployment?: boolean;
}

export type ResolvedAddresses<W extends Partial<Record<AvsContractName, ContractWanted>>> = {
  readonly [K in keyof W]: W[K] extends { optional: true } ? Address | undefined : Address;
};

export interface ResolvedContracts<W extends Partial<Record<AvsContractName, ContractWanted>>> {
  readonly addresses: ResolvedAddresses<W>;
  /** Where each address came from (the flag, or the deployments file's path). */
  readonly sources: { readonly [K in keyof W]: string };
  /** The deployments file, when it was read. */
  readonly deployment: Deployment | undefined;
}

function addressIn(deployment: Deployment, name: AvsContractName): Address {
  const entry = deployment.contracts[name];
  return typeof entry === "string" ? entry : entry.proxy;
}

function flagHint(wanted: Partial<Record<AvsContractName, ContractWanted>>): string {
  return Object.values(wanted)
    .map((w) => w?.flag)
    .filter((flag): flag is string => flag !== undefined)
    .join(" / ");
}

async function readDeployment(
  chainId: number,
  options: LoadDeploymentOptions,
  hint: string,
): Promise<Deployment> {
  try {
    return await loadDeployment(chainId, options);
  } catch (error) {
    const source = deploymentPath(chainId, options.dir);
    if (error instanceof DeploymentNotFoundError) {
      throw new ContractResolutionError("no-deployment", {
        chainId,
        source,
        message: `${error.message}; or give the addresses (${hint})`,
        cause: error,
      });
    }
    if (error instanceof InvalidDeploymentError) {
      throw new ContractResolutionError("invalid-deployment", {
        chainId,
        source,
        message: error.message,
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Finds the contracts a service needs: each from its flag when given, else from
 * `deployments/<chainId>.json`, and checks that every address holds code, so a stale file (a
 * restarted chain) or a typo fails at start-up with a message naming where the address came
 * from. The file is read only when some contract is not given.
 */
export async function resolveContracts<const W extends Partial<Record<AvsContractName, ContractWanted>>>(
  client: CodeReader,
  options: ResolveContractsOptions<W>,
): Promise<ResolvedContracts<W>> {
  const chainId = client.chain.id;
  const entries = Object.entries(options.contracts) as [AvsContractName, ContractWanted][];
  const needsFile =
    options.needDeployment === true ||
    entries.some(([, wanted]) => wanted.address === undefined && wanted.optional !== true);
  const deployment = needsFile
    ? await readDeployment(
        chainId,
        options.dir === undefined ? {} : { dir: options.dir },
        flagHint(options.contracts),
      )
    : undefined;
  const file = deploymentPath(chainId, options.dir);
  const addresses: Record<string, Address | undefined> = {};
  const sources: Record<string, string> = {};
  for (const [name, wanted] of entries) {
    const address = wanted.address ?? (deployment ? addressIn(deployment, name) : undefined);
    sources[name] = wanted.address !== undefined ? wanted.flag : file;
    addresses[name] = address;
  }
  await Promise.all(
    entries.map(async ([name, wanted]) => {
      const address = addresses[name];
      if (address === undefined) return;
      const code = await client.getCode({ address });
      if (code !== undefined && code !== "0x") return;
      const fromFile = wanted.address === undefined;
      throw new ContractResolutionError("no-code", {
        chainId,
        contract: name,
        address,
        source: sources[name]!,
        message: fromFile
          ? `no contract at ${address} on chain ${chainId} (${name}, from ${file}): was the chain restarted since the deployment? Deploy again, or give ${wanted.flag}`
          : `no contract at ${address} on chain ${chainId} (${name}, from ${wanted.flag}): check the address and the chain`,
      });
    }),
  );
  return {
    addresses: addresses as ResolvedAddresses<W>,
    sources: sources as ResolvedContracts<W>["sources"],
    deployment,
  };
}
