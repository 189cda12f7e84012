import { resolveContracts } from "@avskit/bindings";
import { connectChain, type Logger } from "@avskit/runtime";
import type { Account, Address } from "viem";
import type { SyncConfig } from "./options.js";
import { ViemSyncChain } from "./viem-chain.js";

export interface ConnectOptions {
  readonly config: SyncConfig;
  readonly account: Account | undefined;
  readonly logger: Logger;
  /** Receipt polling interval (a local chain wants it short). */
  readonly pollingIntervalMs?: number;
}

/**
 * Connects to the endpoint, learns the chain id, takes the registry coordinator from its flag or
 * else from `deployments/<chainId>.json` (the service manager too, to check it), and checks that
 * code is there; the registries are then read from the coordinator.
 */
export async function connectSyncChain(options: ConnectOptions): Promise<ViemSyncChain> {
  const { config, logger } = options;
  const probe = await connectChain({
    rpcUrl: config.ethHttpUrl,
    timeoutMs: config.readerTimeoutDuration,
    retryCount: 0,
  });
  const { addresses, sources } = await resolveContracts(probe, {
    ...(config.deploymentsDir !== undefined ? { dir: config.deploymentsDir } : {}),
    contracts: {
      registryCoordinator: {
        flag: "--registry-coordinator-addr",
        address: config.registryCoordinatorAddr as Address | undefined,
      },
      serviceManager: {
        flag: "--service-manager-addr",
        address: config.serviceManagerAddr as Address | undefined,
        optional: true,
      },
    },
  });
  const chain = await ViemSyncChain.create({
    rpcUrl: config.ethHttpUrl,
    chain: probe.chain,
    registryCoordinator: addresses.registryCoordinator,
    ...(addresses.serviceManager !== undefined ? { serviceManager: addresses.serviceManager } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
    readerTimeoutMs: config.readerTimeoutDuration,
    writerTimeoutMs: config.writerTimeoutDuration,
    ...(options.pollingIntervalMs !== undefined ? { pollingIntervalMs: options.pollingIntervalMs } : {}),
  });
  logger.info(
    {
      chainId: probe.chain.id,
      registryCoordinator: addresses.registryCoordinator,
      stakeRegistry: chain.stakeRegistry,
      addressesFrom: sources.registryCoordinator,
    },
    "connected to the AVS",
  );
  return chain;
}
