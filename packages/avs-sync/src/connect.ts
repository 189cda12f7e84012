import { defaultDeploymentsDir, loadDeployment } from "@avskit/bindings";
import { connectChain, type Logger } from "@avskit/runtime";
import type { Account, Address } from "viem";
import type { SyncConfig } from "./options.js";
import { ViemSyncChain } from "./viem-chain.js";

export interface ConnectOptions {
  readonly config: SyncConfig;
  readonly account: Account | undefined;
  readonly logger: Logger;
  readonly pollingIntervalMs?: number;
}

/**
 * Connects to the endpoint, learns the chain id, takes the addresses from the flags or else
 * from `deployments/<chainId>.json`, and checks a contract is there.
 */
export async function connectSyncChain(options: ConnectOptions): Promise<ViemSyncChain> {
  const { config, logger } = options;
  const probe = await connectChain({
    rpcUrl: config.ethHttpUrl,
    timeoutMs: config.readerTimeoutDuration,
    retryCount: 0,
  });
  const chainId = probe.chain.id;
  let registryCoordinator: Address | undefined = config.registryCoordinatorAddr as Address | undefined;
  let serviceManager: Address | undefined = config.serviceManagerAddr as Address | undefined;
  let source = "flags";
  if (registryCoordinator === undefined) {
    const dir = config.deploymentsDir ?? defaultDeploymentsDir();
    const deployment = await loadDeployment(chainId, { dir });
    registryCoordinator = deployment.contracts.registryCoordinator.proxy;
    serviceManager ??= deployment.contracts.serviceManager.proxy;
    source = `${dir}/${chainId}.json`;
  }
  const chain = await ViemSyncChain.create({
    rpcUrl: config.ethHttpUrl,
    chain: probe.chain,
    registryCoordinator,
    ...(serviceManager !== undefined ? { serviceManager } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
    readerTimeoutMs: config.readerTimeoutDuration,
    writerTimeoutMs: config.writerTimeoutDuration,
    ...(options.pollingIntervalMs !== undefined ? { pollingIntervalMs: options.pollingIntervalMs } : {}),
  });
  logger.info(
    { chainId, registryCoordinator, stakeRegistry: chain.stakeRegistry, addressesFrom: source },
    "connected to the AVS",
  );
  return chain;
}
