import { loadDeployment } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { Address } from "viem";
import { OperatorError } from "../errors.js";
import { delegationManagerAbi, registryCoordinatorAbi, serviceManagerAbi, stakeRegistryAbi } from "./abis.js";

/** Every contract the operator talks to, all found from the registry coordinator. */
export interface AvsContracts {
  readonly registryCoordinator: Address;
  readonly serviceManager: Address;
  readonly stakeRegistry: Address;
  readonly blsApkRegistry: Address;
  readonly taskManager: Address;
  readonly avsDirectory: Address;
  readonly delegationManager: Address;
  /** Undefined when the delegation contract does not say (deposits then need it given). */
  readonly strategyManager: Address | undefined;
}

export interface ContractSource {
  /** Takes precedence over the deployments file. */
  readonly registryCoordinator?: Address | undefined;
  /** Folder of `<chainId>.json`; `$AVSKIT_DEPLOYMENTS_DIR` or `./deployments` when omitted. */
  readonly deploymentsDir?: string | undefined;
}

/** The address holds no contract: a stale deployments file (restarted chain) or a wrong address. */
export class NoContractError extends OperatorError {
  readonly address: Address;
  constructor(address: Address, chainId: number, origin: string) {
    super(
      `no contract at ${address} on chain ${chainId} (${origin}): was the chain restarted since the deployment? Deploy again or give --registry-coordinator`,
    );
    this.address = address;
  }
}

/**
 * Finds the registry coordinator (given, or from `deployments/<chainId>.json`) and reads every
 * other address from the chain, so one address is all an operator needs to configure.
 */
export async function resolveAvsContracts(
  client: ReadClient,
  source: ContractSource = {},
): Promise<AvsContracts> {
  const chainId = client.chain.id;
  let registryCoordinator = source.registryCoordinator;
  let origin = "given";
  if (registryCoordinator === undefined) {
    const deployment = await loadDeployment(
      chainId,
      source.deploymentsDir ? { dir: source.deploymentsDir } : {},
    );
    registryCoordinator = deployment.contracts.registryCoordinator.proxy;
    origin = `from the deployment file of chain ${chainId}`;
  }
  const code = await client.getCode({ address: registryCoordinator });
  if (code === undefined || code === "0x") throw new NoContractError(registryCoordinator, chainId, origin);

  const coordinator = { address: registryCoordinator, abi: registryCoordinatorAbi } as const;
  const [serviceManager, stakeRegistry, blsApkRegistry] = await Promise.all([
    client.readContract({ ...coordinator, functionName: "serviceManager" }),
    client.readContract({ ...coordinator, functionName: "stakeRegistry" }),
    client.readContract({ ...coordinator, functionName: "blsApkRegistry" }),
  ]);
  const service = { address: serviceManager, abi: serviceManagerAbi } as const;
  const [taskManager, avsDirectory, delegationManager] = await Promise.all([
    client.readContract({ ...service, functionName: "taskManager" }),
    client.readContract({ ...service, functionName: "avsDirectory" }),
    client.readContract({ address: stakeRegistry, abi: stakeRegistryAbi, functionName: "delegation" }),
  ]);
  let strategyManager: Address | undefined;
  try {
    strategyManager = await client.readContract({
      address: delegationManager,
      abi: delegationManagerAbi,
      functionName: "strategyManager",
    });
  } catch {
    strategyManager = undefined;
  }
  return {
    registryCoordinator,
    serviceManager,
    stakeRegistry,
    blsApkRegistry,
    taskManager,
    avsDirectory,
    delegationManager,
    strategyManager,
  };
}
