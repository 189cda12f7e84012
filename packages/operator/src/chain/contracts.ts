import {
  delegationManagerAbi,
  registryCoordinatorAbi,
  resolveContracts,
  serviceManagerAbi,
  stakeRegistryAbi,
} from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import type { Address } from "viem";

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
  /** Takes precedence over the deployments file (the value of --registry-coordinator). */
  readonly registryCoordinator?: Address | undefined;
  /** Folder of `<chainId>.json`; `$AVSKIT_DEPLOYMENTS_DIR` or `./deployments` when omitted. */
  readonly deploymentsDir?: string | undefined;
}

/**
 * Finds the registry coordinator (given, or from `deployments/<chainId>.json`, checked to hold
 * code: a `ContractResolutionError` from @avskit/bindings otherwise) and reads every other
 * address from the chain, so one address is all an operator needs to configure.
 */
export async function resolveAvsContracts(
  client: ReadClient,
  source: ContractSource = {},
): Promise<AvsContracts> {
  const { addresses } = await resolveContracts(client, {
    ...(source.deploymentsDir !== undefined ? { dir: source.deploymentsDir } : {}),
    contracts: {
      registryCoordinator: { flag: "--registry-coordinator", address: source.registryCoordinator },
    },
  });
  const { registryCoordinator } = addresses;
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
    // A delegation contract without this getter still serves everything but deposits.
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
