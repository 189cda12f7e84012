import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  blsApkRegistryBytecode,
  type Deployment,
  delegationManagerAbi,
  iDelegationManagerAbi,
  indexRegistryAbi,
  indexRegistryBytecode,
  operatorStateRetrieverAbi,
  operatorStateRetrieverBytecode,
  PROXIED_CONTRACTS,
  type ProxiedContractName,
  parseDeployment,
  proxyAdminAbi,
  registryCoordinatorAbi,
  registryCoordinatorBytecode,
  serializeDeployment,
  serviceManagerAbi,
  serviceManagerBytecode,
  stakeRegistryAbi,
  stakeRegistryBytecode,
  strategyManagerAbi,
  strategyVaultAbi,
  taskManagerAbi,
  taskManagerBytecode,
  transparentUpgradeableProxyAbi,
} from "@avskit/bindings";
import {
  type Abi,
  type Address,
  encodeFunctionData,
  type Hex,
  isAddressEqual,
  type PublicClient,
  type WalletClient,
  zeroAddress,
} from "viem";
import { readChainId } from "./chain.js";
import {
  checkQuorums,
  DEFAULT_QUORUMS,
  DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS,
  DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS,
  type DeployConfig,
  type QuorumConfig,
  type RestakingConfig,
} from "./config.js";
import { DeployError, DeploymentExistsError, DeployStepError } from "./errors.js";
import { inspectExistingDeployment, writeDeployment } from "./existing.js";
import { deployPlaceholder, emptyProxyTx, proxyAdminOf, transferAdminTx, upgradeTx } from "./proxies.js";
import { deployRestakingStandIn, underlyingTokenOf } from "./restaking.js";
import { callTx, deployTx, type PlannedTx, TxRunner } from "./tx.js";

export interface DeployAvsOptions {
  publicClient: PublicClient;
  /** Must carry the deployer account. */
  walletClient: WalletClient;
  config?: DeployConfig;
  /** One line per step; silent when omitted. */
  log?: (line: string) => void;
  /** Refuse (WrongChainError) unless the endpoint is on this chain. */
  expectedChainId?: number;
  /** Receipt polling interval; the public client's when omitted. */
  pollingIntervalMs?: number;
  receiptTimeoutMs?: number;
}

/** Every ABI whose custom errors a deployment step may revert with. */
const ERROR_ABIS: readonly Abi[] = [
  registryCoordinatorAbi,
  stakeRegistryAbi,
  blsApkRegistryAbi,
  indexRegistryAbi,
  serviceManagerAbi,
  taskManagerAbi,
  proxyAdminAbi,
  transparentUpgradeableProxyAbi,
  delegationManagerAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  avsDirectoryAbi,
];

/** The AVS contracts behind proxies, in the order they are deployed. */
const PROXIED = PROXIED_CONTRACTS;
type ProxiedName = ProxiedContractName;

const DISPLAY_NAMES: Record<ProxiedName, string> = {
  registryCoordinator: "RegistryCoordinator",
  stakeRegistry: "StakeRegistry",
  blsApkRegistry: "BLSApkRegistry",
  indexRegistry: "IndexRegistry",
  serviceManager: "ServiceManager",
  taskManager: "TaskManager",
};

interface ResolvedConfig {
  deployer: Address;
  owner: Address;
  churnApprover: Address;
  ejector: Address;
  taskGenerators: Address[];
  aggregators: Address[];
  metadataUri: string;
  taskResponseWindowBlocks: number;
  taskChallengeWindowBlocks: number;
  restaking: RestakingConfig;
  quorums: readonly QuorumConfig[];
}

function resolveConfig(config: DeployConfig, deployer: Address): ResolvedConfig {
  const owner = config.owner ?? deployer;
  const restaking = config.restaking ?? { kind: "stand-in" };
  const quorums = config.quorums ?? DEFAULT_QUORUMS;
  checkQuorums(quorums, restaking, "deploy config");
  return {
    deployer,
    owner,
    churnApprover: config.churnApprover ?? owner,
    ejector: config.ejector ?? owner,
    taskGenerators: [...(config.taskGenerators ?? [deployer])],
    aggregators: [...(config.aggregators ?? [deployer])],
    metadataUri: config.metadataUri ?? "",
    taskResponseWindowBlocks: config.taskResponseWindowBlocks ?? DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS,
    taskChallengeWindowBlocks: config.taskChallengeWindowBlocks ?? DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS,
    restaking,
    quorums,
  };
}

interface ResolvedRestaking {
  restaking: Deployment["restaking"];
  /** Per quorum, its strategies with tokens and multipliers. */
  quorums: Deployment["quorums"];
}

async function checkHasCode(publicClient: PublicClient, address: Address, what: string): Promise<void> {
  const code = await publicClient.getCode({ address });
  if (code === undefined || code === "0x") {
    throw new DeployStepError(`checking the external ${what}`, `no contract at ${address} on this chain`);
  }
}

async function setUpRestaking(
  runner: TxRunner,
  publicClient: PublicClient,
  config: ResolvedConfig,
): Promise<ResolvedRestaking> {
  const quorumShell = (quorum: QuorumConfig, q: number) => ({
    quorumNumber: q,
    minimumStake: quorum.minimumStake,
    operatorSetParams: { ...quorum.operatorSetParams },
  });

  if (config.restaking.kind === "external") {
    const { delegationManager, avsDirectory, strategyManager } = config.restaking;
    await checkHasCode(publicClient, delegationManager, "DelegationManager");
    await checkHasCode(publicClient, avsDirectory, "AVSDirectory");
    // A view every EigenLayer DelegationManager has: catches an address of the wrong contract.
    await publicClient
      .readContract({
        address: delegationManager,
        abi: iDelegationManagerAbi,
        functionName: "minWithdrawalDelayBlocks",
      })
      .catch((error: unknown) => {
        throw new DeployStepError(
          "checking the external DelegationManager",
          `${delegationManager} does not answer minWithdrawalDelayBlocks()`,
          undefined,
          { cause: error },
        );
      });
    const quorums = await Promise.all(
      config.quorums.map(async (quorum, q) => ({
        ...quorumShell(quorum, q),
        strategies: await Promise.all(
          quorum.strategies.map(async (entry) => {
            if (!("strategy" in entry))
              throw new DeployError("INVALID_DEPLOY_CONFIG", "unreachable: checked config");
            return {
              strategy: entry.strategy,
              token: await underlyingTokenOf(publicClient, entry.strategy),
              multiplier: entry.multiplier,
            };
          }),
        ),
      })),
    );
    return {
      restaking: {
        source: "external",
        delegationManager,
        avsDirectory,
        strategyManager: strategyManager ?? null,
      },
      quorums,
    };
  }

  const tokens = config.quorums.flatMap((quorum) =>
    quorum.strategies.flatMap((entry) => ("token" in entry ? [entry.token] : [])),
  );
  const standIn = await deployRestakingStandIn(runner, publicClient, {
    tokens,
    minWithdrawalDelayBlocks: config.restaking.minWithdrawalDelayBlocks ?? 10,
  });
  let next = 0;
  const quorums = config.quorums.map((quorum, q) => ({
    ...quorumShell(quorum, q),
    strategies: quorum.strategies.map((entry) => {
      const deployed = standIn.strategies[next++]!;
      return { strategy: deployed.strategy, token: deployed.token, multiplier: entry.multiplier };
    }),
  }));
  return {
    restaking: {
      source: "stand-in",
      delegationManager: standIn.delegationManager,
      strategyManager: standIn.strategyManager,
      avsDirectory: standIn.avsDirectory,
    },
    quorums,
  };
}

type ProxySet = Record<ProxiedName, Address>;

function implementationTxs(
  proxies: ProxySet,
  restaking: ResolvedRestaking["restaking"],
  config: ResolvedConfig,
): Record<ProxiedName, PlannedTx> {
  const step = (name: ProxiedName) => `deploying ${DISPLAY_NAMES[name]} implementation`;
  return {
    registryCoordinator: deployTx(
      step("registryCoordinator"),
      {
        abi: registryCoordinatorAbi,
        bytecode: registryCoordinatorBytecode,
      },
      [proxies.serviceManager, proxies.stakeRegistry, proxies.blsApkRegistry, proxies.indexRegistry],
    ),
    stakeRegistry: deployTx(
      step("stakeRegistry"),
      { abi: stakeRegistryAbi, bytecode: stakeRegistryBytecode },
      [proxies.registryCoordinator, restaking.delegationManager],
    ),
    blsApkRegistry: deployTx(
      step("blsApkRegistry"),
      { abi: blsApkRegistryAbi, bytecode: blsApkRegistryBytecode },
      [proxies.registryCoordinator],
    ),
    indexRegistry: deployTx(
      step("indexRegistry"),
      { abi: indexRegistryAbi, bytecode: indexRegistryBytecode },
      [proxies.registryCoordinator],
    ),
    serviceManager: deployTx(
      step("serviceManager"),
      { abi: serviceManagerAbi, bytecode: serviceManagerBytecode },
      [restaking.avsDirectory, proxies.registryCoordinator, proxies.stakeRegistry, proxies.taskManager],
    ),
    taskManager: deployTx(step("taskManager"), { abi: taskManagerAbi, bytecode: taskManagerBytecode }, [
      proxies.registryCoordinator,
      proxies.stakeRegistry,
      proxies.blsApkRegistry,
      restaking.delegationManager,
      config.taskResponseWindowBlocks,
      config.taskChallengeWindowBlocks,
    ]),
  };
}

function initializeCalls(
  config: ResolvedConfig,
  quorums: ResolvedRestaking["quorums"],
): Record<ProxiedName, Hex> {
  return {
    registryCoordinator: encodeFunctionData({
      abi: registryCoordinatorAbi,
      functionName: "initialize",
      args: [
        config.owner,
        config.churnApprover,
        config.ejector,
        0n,
        quorums.map((quorum) => quorum.operatorSetParams),
        quorums.map((quorum) => quorum.minimumStake),
        quorums.map((quorum) =>
          quorum.strategies.map(({ strategy, multiplier }) => ({ strategy, multiplier })),
        ),
      ],
    }),
    stakeRegistry: "0x",
    blsApkRegistry: "0x",
    indexRegistry: "0x",
    serviceManager: encodeFunctionData({
      abi: serviceManagerAbi,
      functionName: "initialize",
      args: [config.owner, config.metadataUri],
    }),
    taskManager: encodeFunctionData({
      abi: taskManagerAbi,
      functionName: "initialize",
      args: [
        taskManagerInitialAdmin(config),
        config.aggregators[0] ?? zeroAddress,
        config.taskGenerators[0] ?? zeroAddress,
      ],
    }),
  };
}

/**
 * TaskManager.initialize grants one aggregator and one task generator. With more, the deployer
 * stays admin long enough to grant the rest, then hands the admin role to the owner.
 */
function taskManagerInitialAdmin(config: ResolvedConfig): Address {
  return config.aggregators.length > 1 || config.taskGenerators.length > 1 ? config.deployer : config.owner;
}

async function taskRoleTxs(
  publicClient: PublicClient,
  config: ResolvedConfig,
  taskManager: Address,
): Promise<PlannedTx[]> {
  if (taskManagerInitialAdmin(config) !== config.deployer) return [];
  const read = (functionName: "AGGREGATOR_ROLE" | "TASK_GENERATOR_ROLE" | "DEFAULT_ADMIN_ROLE") =>
    publicClient.readContract({ address: taskManager, abi: taskManagerAbi, functionName });
  const [AGGREGATOR_ROLE, TASK_GENERATOR_ROLE, DEFAULT_ADMIN_ROLE] = await Promise.all([
    read("AGGREGATOR_ROLE"),
    read("TASK_GENERATOR_ROLE"),
    read("DEFAULT_ADMIN_ROLE"),
  ]);
  const grant = (role: Hex, roleName: string, account: Address) =>
    callTx(`granting ${roleName} to ${account}`, taskManager, taskManagerAbi, "grantRole", [role, account]);
  const txs = [
    ...config.aggregators.slice(1).map((account) => grant(AGGREGATOR_ROLE, "AGGREGATOR_ROLE", account)),
    ...config.taskGenerators
      .slice(1)
      .map((account) => grant(TASK_GENERATOR_ROLE, "TASK_GENERATOR_ROLE", account)),
  ];
  if (!isAddressEqual(config.owner, config.deployer)) {
    txs.push(grant(DEFAULT_ADMIN_ROLE, "the TaskManager admin role", config.owner));
  }
  return txs;
}

/** Reads back what the deployment should have produced: a failed check means a wiring bug. */
async function verifyDeployment(
  publicClient: PublicClient,
  proxies: ProxySet,
  config: ResolvedConfig,
  quorums: ResolvedRestaking["quorums"],
): Promise<void> {
  const quorumCount = await publicClient.readContract({
    address: proxies.registryCoordinator,
    abi: registryCoordinatorAbi,
    functionName: "quorumCount",
  });
  if (quorumCount !== quorums.length) {
    throw new DeployStepError(
      "verifying the quorums",
      `RegistryCoordinator has ${quorumCount}, expected ${quorums.length}`,
    );
  }
  const owner = await publicClient.readContract({
    address: proxies.registryCoordinator,
    abi: registryCoordinatorAbi,
    functionName: "owner",
  });
  if (!isAddressEqual(owner, config.owner)) {
    throw new DeployStepError(
      "verifying the owner",
      `RegistryCoordinator is owned by ${owner}, expected ${config.owner}`,
    );
  }
  const role = (functionName: "AGGREGATOR_ROLE" | "TASK_GENERATOR_ROLE" | "DEFAULT_ADMIN_ROLE") =>
    publicClient.readContract({ address: proxies.taskManager, abi: taskManagerAbi, functionName });
  const [adminRole, aggregatorRole, generatorRole] = await Promise.all([
    role("DEFAULT_ADMIN_ROLE"),
    role("AGGREGATOR_ROLE"),
    role("TASK_GENERATOR_ROLE"),
  ]);
  const expected: [Hex, string, Address][] = [
    [adminRole, "the admin role", config.owner],
    ...config.aggregators.map((a): [Hex, string, Address] => [aggregatorRole, "AGGREGATOR_ROLE", a]),
    ...config.taskGenerators.map((a): [Hex, string, Address] => [generatorRole, "TASK_GENERATOR_ROLE", a]),
  ];
  for (const [id, roleName, account] of expected) {
    const has = await publicClient.readContract({
      address: proxies.taskManager,
      abi: taskManagerAbi,
      functionName: "hasRole",
      args: [id, account],
    });
    if (!has)
      throw new DeployStepError(
        "verifying the task roles",
        `${account} lacks ${roleName} in the TaskManager`,
      );
  }
}

/**
 * Deploys the AVS to the chain behind `publicClient`: the restaking stand-in (unless the config
 * points at an existing DelegationManager), the AVS contracts behind TransparentUpgradeableProxies,
 * the quorums, and the task roles. Returns the deployment; does not write any file.
 *
 * Order: empty proxies first (at a placeholder), then implementations whose immutables are
 * the proxy addresses, then `ProxyAdmin.upgradeAndCall` with each `initialize`, registries
 * before the coordinator, whose initializer creates the quorums in them.
 */
export async function deployAvs(options: DeployAvsOptions): Promise<Deployment> {
  const { publicClient, walletClient } = options;
  const log = options.log ?? (() => {});
  const chainId = await readChainId(publicClient, options.expectedChainId);
  const runner = new TxRunner({
    publicClient,
    walletClient,
    log,
    errorAbis: ERROR_ABIS,
    pollingIntervalMs: options.pollingIntervalMs,
    receiptTimeoutMs: options.receiptTimeoutMs,
  });
  const deployer = runner.deployer;
  const config = resolveConfig(options.config ?? {}, deployer);
  const balance = await publicClient.getBalance({ address: deployer });
  if (balance === 0n) {
    throw new DeployStepError(
      "checking the deployer's balance",
      `${deployer} has no ETH on chain ${chainId}`,
    );
  }

  const { restaking, quorums } = await setUpRestaking(runner, publicClient, config);

  const placeholder = await deployPlaceholder(runner);
  const proxyAddresses = await runner.deployWave(
    PROXIED.map((name) => emptyProxyTx(DISPLAY_NAMES[name], placeholder, deployer)),
  );
  const proxies = Object.fromEntries(PROXIED.map((name, i) => [name, proxyAddresses[i]!])) as ProxySet;
  const admins = Object.fromEntries(
    await Promise.all(
      PROXIED.map(async (name) => [
        name,
        await proxyAdminOf(publicClient, proxies[name], DISPLAY_NAMES[name]),
      ]),
    ),
  ) as ProxySet;

  const implementationTx = implementationTxs(proxies, restaking, config);
  const [operatorStateRetriever, ...implementationAddresses] = await runner.deployWave([
    deployTx("deploying OperatorStateRetriever", {
      abi: operatorStateRetrieverAbi,
      bytecode: operatorStateRetrieverBytecode,
    }),
    ...PROXIED.map((name) => implementationTx[name]),
  ]);
  const implementations = Object.fromEntries(
    PROXIED.map((name, i) => [name, implementationAddresses[i]!]),
  ) as ProxySet;

  const initialize = initializeCalls(config, quorums);
  const upgrade = (name: ProxiedName) =>
    upgradeTx(DISPLAY_NAMES[name], admins[name], proxies[name], implementations[name], initialize[name]);
  // The coordinator's initializer creates the quorums in the registries: upgrade those first.
  await runner.wave(PROXIED.filter((name) => name !== "registryCoordinator").map(upgrade));
  await runner.wave([upgrade("registryCoordinator")]);

  const roleTxs = await taskRoleTxs(publicClient, config, proxies.taskManager);
  if (roleTxs.length > 0) await runner.wave(roleTxs);
  if (taskManagerInitialAdmin(config) === deployer && !isAddressEqual(config.owner, deployer)) {
    await runner.one(
      callTx(
        "renouncing the deployer's TaskManager admin role",
        proxies.taskManager,
        taskManagerAbi,
        "renounceRole",
        [
          await publicClient.readContract({
            address: proxies.taskManager,
            abi: taskManagerAbi,
            functionName: "DEFAULT_ADMIN_ROLE",
          }),
          deployer,
        ],
      ),
    );
  }
  if (!isAddressEqual(config.owner, deployer)) {
    await runner.wave(
      PROXIED.map((name) => transferAdminTx(DISPLAY_NAMES[name], admins[name], config.owner)),
    );
  }
  await verifyDeployment(publicClient, proxies, config, quorums);

  const block = await publicClient.getBlock({ blockNumber: runner.lastBlockNumber });
  log(
    `deployed in ${runner.transactions} transactions, ${runner.gasUsed.toLocaleString("en-US")} gas, ` +
      `last block ${block.number}`,
  );
  const deployment: Deployment = {
    format: "avskit-deployment-1",
    chainId,
    deployer,
    deployedAt: {
      blockNumber: Number(block.number),
      blockHash: block.hash,
      timestamp: Number(block.timestamp),
    },
    contracts: {
      ...(Object.fromEntries(
        PROXIED.map((name) => [
          name,
          { proxy: proxies[name], implementation: implementations[name], proxyAdmin: admins[name] },
        ]),
      ) as Record<ProxiedName, Deployment["contracts"]["taskManager"]>),
      operatorStateRetriever: operatorStateRetriever!,
    },
    restaking,
    quorums,
    roles: {
      owner: config.owner,
      churnApprover: config.churnApprover,
      ejector: config.ejector,
      taskGenerators: config.taskGenerators,
      aggregators: config.aggregators,
    },
  };
  // Round-trip through the schema: validates what we record and checksums every address.
  return parseDeployment(JSON.parse(serializeDeployment(deployment)), "the new deployment");
}

export interface DeployAndRecordOptions extends DeployAvsOptions {
  /** Folder of `<chainId>.json`. */
  deploymentsDir: string;
  /** Deploy even when the folder records a live deployment on this chain (and overwrite it). */
  redeploy?: boolean;
}

export interface DeployAndRecordResult {
  deployment: Deployment;
  path: string;
  /** What the folder held for this chain before. */
  previous: "none" | "live" | "stale" | "invalid";
}

/**
 * `deployAvs`, guarded by and recorded in the deployments folder: refuses when the chain has a
 * live recorded deployment (unless `redeploy`), replaces a stale one (logging why), and writes
 * `<deploymentsDir>/<chainId>.json`.
 */
export async function deployAndRecord(options: DeployAndRecordOptions): Promise<DeployAndRecordResult> {
  const log = options.log ?? (() => {});
  const chainId = await readChainId(options.publicClient, options.expectedChainId);
  const existing = await inspectExistingDeployment(options.publicClient, chainId, options.deploymentsDir);
  switch (existing.status) {
    case "live":
      if (!options.redeploy) throw new DeploymentExistsError(chainId, existing.path);
      log(`redeploying: replacing the live deployment recorded in ${existing.path}`);
      break;
    case "stale":
      log(`${existing.path} is stale (${existing.reason}); deploying afresh and replacing it`);
      break;
    case "invalid":
      if (!options.redeploy) {
        throw new DeployError(
          "INVALID_EXISTING_DEPLOYMENT",
          `${existing.path} exists but is not a valid deployments file (${existing.error.message}); ` +
            "fix or delete it, or pass --redeploy to overwrite it",
        );
      }
      log(`redeploying: overwriting ${existing.path}, which is not a valid deployments file`);
      break;
    case "none":
      break;
  }
  const deployment = await deployAvs({ ...options, expectedChainId: chainId });
  const path = await writeDeployment(deployment, options.deploymentsDir);
  log(`recorded in ${path}`);
  return { deployment, path, previous: existing.status };
}
