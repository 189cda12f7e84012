import { resolve } from "node:path";
import type { Deployment } from "@avskit/bindings";
import {
  chainFor,
  checkQuorums,
  DEFAULT_QUORUMS,
  type DeployConfig,
  deployAndRecord,
  publicClientFor,
  type QuorumConfig,
  type RestakingConfig,
} from "@avskit/deploy";
import { type Address, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type AnvilInstance, type AnvilOptions, type DevAccount, startAnvil } from "./anvil.js";
import { InvalidDevnetOptionError } from "./errors.js";

/** Where a devnet records its deployment: regenerated on every start, so git-ignored. */
export const DEVNET_DEPLOYMENTS_DIR = ".devnet/deployments";

/**
 * Which of anvil's funded accounts does what. The keys are anvil's public test keys: fine on
 * a chain that only listens on 127.0.0.1 and is thrown away on exit, never for a real network.
 * Operator keys (ECDSA and BLS) are not taken from here: whoever starts operators generates them.
 */
export interface DevnetRoles {
  /** Deploys everything, owns the AVS and the restaking stand-in, mints test tokens. Account 0. */
  deployer: DevAccount;
  /** Allowed to create tasks. Account 1. */
  taskGenerator: DevAccount;
  /** Allowed to respond to tasks. Account 2. */
  aggregator: DevAccount;
}

export interface StartChainOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one (default 8545). */
  port?: number;
  forkUrl?: string;
  forkBlockNumber?: bigint;
  /** Seconds between blocks; automine when omitted. */
  blockTime?: number;
  /** An existing DelegationManager (e.g. EigenLayer on the forked chain) instead of the stand-in. */
  delegationManager?: Address;
  /** The existing AVSDirectory that goes with `delegationManager`. */
  avsDirectory?: Address;
  strategyManager?: Address;
  /** Quorums to create; `DEFAULT_QUORUMS` (stand-in tokens) when omitted. */
  quorums?: readonly QuorumConfig[];
  /** Default `.devnet/deployments` under the working directory. */
  deploymentsDir?: string;
  /** Progress lines (anvil start, each deploy step). */
  log?: (line: string) => void;
  /** anvil's own output, line by line. */
  onAnvilLog?: AnvilOptions["onLog"];
}

export interface RunningChain {
  anvil: AnvilInstance;
  rpcUrl: string;
  chainId: number;
  deployment: Deployment;
  deploymentPath: string;
  roles: DevnetRoles;
  /** Stops anvil. The deployments file stays (the next start replaces it as stale). */
  stop(): Promise<void>;
}

function restakingFrom(options: StartChainOptions): RestakingConfig {
  if (options.delegationManager === undefined) {
    if (options.avsDirectory !== undefined) {
      throw new InvalidDevnetOptionError("avsDirectory", "needs delegationManager");
    }
    return { kind: "stand-in", minWithdrawalDelayBlocks: 10 };
  }
  if (options.avsDirectory === undefined) {
    throw new InvalidDevnetOptionError("delegationManager", "needs avsDirectory too");
  }
  return {
    kind: "external",
    delegationManager: options.delegationManager,
    avsDirectory: options.avsDirectory,
    ...(options.strategyManager ? { strategyManager: options.strategyManager } : {}),
  };
}

/** Starts anvil on 127.0.0.1, deploys the restaking stand-in (or uses a forked one) and the AVS. */
export async function startChain(options: StartChainOptions = {}): Promise<RunningChain> {
  const log = options.log ?? (() => {});
  const restaking = restakingFrom(options);
  const quorums = options.quorums ?? DEFAULT_QUORUMS;
  // Before starting anything: e.g. an external DelegationManager needs quorums of existing strategies.
  checkQuorums(
    quorums,
    restaking,
    options.quorums === undefined
      ? "the default quorums; with an external DelegationManager give a --quorums file"
      : "quorums",
  );
  const anvil = await startAnvil({
    port: options.port ?? 8545,
    forkUrl: options.forkUrl,
    forkBlockNumber: options.forkBlockNumber,
    blockTime: options.blockTime,
    onLog: options.onAnvilLog,
  });
  try {
    const fork = options.forkUrl === undefined ? "" : ` forking ${options.forkUrl}`;
    log(`anvil listening on ${anvil.rpcUrl} (chain ${anvil.chainId}${fork}, pid ${anvil.pid})`);
    const [deployer, taskGenerator, aggregator] = anvil.accounts;
    if (deployer === undefined || taskGenerator === undefined || aggregator === undefined) {
      throw new InvalidDevnetOptionError("accounts", "anvil must provide at least 3 accounts");
    }
    const chain = chainFor(anvil.rpcUrl, anvil.chainId);
    const publicClient = publicClientFor(anvil.rpcUrl, { chain, pollingIntervalMs: 100 });
    const walletClient = createWalletClient({
      account: privateKeyToAccount(deployer.privateKey),
      chain,
      transport: http(anvil.rpcUrl),
    });
    const config: DeployConfig = {
      restaking,
      quorums,
      owner: deployer.address,
      taskGenerators: [taskGenerator.address],
      aggregators: [aggregator.address],
    };
    const deploymentsDir = resolve(options.deploymentsDir ?? DEVNET_DEPLOYMENTS_DIR);
    const result = await deployAndRecord({
      publicClient,
      walletClient,
      config,
      log,
      deploymentsDir,
      expectedChainId: anvil.chainId,
      pollingIntervalMs: 100,
      // A fresh chain has nothing live on it: an unreadable record (e.g. from an older
      // version) is replaced rather than refused. On a fork, the usual guard applies.
      redeploy: options.forkUrl === undefined,
    });
    return {
      anvil,
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      deployment: result.deployment,
      deploymentPath: result.path,
      roles: { deployer, taskGenerator, aggregator },
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
