import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Deployment, serializeDeployment } from "@avskit/bindings";
import { chainFor, type DeployConfig, deployAvs, type QuorumConfig } from "@avskit/deploy";
import { type AnvilInstance, resolveAnvilBinary, startAnvil } from "@avskit/devnet";
import { type Address, type Chain, createPublicClient, createWalletClient, http } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { InvalidHelperInputError, UnexpectedChainStateError } from "./errors.js";
import { type AnvilClient, anvilClient, type ChainClient, TxSender } from "./sender.js";

export interface StartTestAvsOptions {
  /** Quorums to create; the deploy package's devnet defaults (2 quorums) when omitted. */
  quorums?: readonly QuorumConfig[];
  /** TaskManager's response window in blocks (deploy default when omitted). */
  taskResponseWindowBlocks?: number;
  /** TaskManager's challenge window in blocks (deploy default when omitted). */
  taskChallengeWindowBlocks?: number;
  /** anvil `--hardfork` (e.g. "prague"); anvil's default (its latest) when omitted. */
  hardfork?: string;
  /** anvil `--gas-limit` (block gas limit); anvil's default (30M) when omitted. */
  blockGasLimit?: bigint;
  /** anvil `--steps-tracing`: debug_traceTransaction returns struct logs (benchmarks' traces). */
  stepsTracing?: boolean;
  /** Deploy progress lines; silent when omitted. */
  log?: (line: string) => void;
}

/** A freshly deployed AVS on a throw-away anvil listening on 127.0.0.1. */
export interface TestAvs {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly chain: Chain;
  /** Batching public client (concurrent calls go out as one JSON-RPC batch). */
  readonly client: ChainClient;
  /** viem's anvil test actions over the same transport: mine, setAutomine, setCode, setBalance… */
  readonly testClient: AnvilClient;
  readonly sender: TxSender;
  readonly deployment: Deployment;
  /**
   * A folder holding `<chainId>.json` for this deployment, so a service under test finds the
   * contracts as it would in production (`--deployments-dir`). Removed by `stop()`.
   */
  readonly deploymentsDir: string;
  /** anvil account 0: deploys, owns the AVS and the restaking stand-in, mints test tokens. */
  readonly deployer: PrivateKeyAccount;
  /** anvil account 1: holds TASK_GENERATOR_ROLE. */
  readonly taskGenerator: PrivateKeyAccount;
  /** anvil account 2: holds AGGREGATOR_ROLE. */
  readonly aggregator: PrivateKeyAccount;
  /** The deployment's OperatorStateRetriever. */
  readonly operatorStateRetriever: Address;
  /** The hardfork anvil reports (`anvil_nodeInfo`). */
  readonly hardfork: string;
  readonly anvil: AnvilInstance;
  /** A raw JSON-RPC call (debug_* and anvil_nodeInfo, which viem has no action for). */
  rpc(method: string, params?: readonly unknown[]): Promise<unknown>;
  /** Mines `blocks` empty blocks. */
  mine(blocks: number): Promise<void>;
  /** Sets an account's ETH balance. */
  setBalance(address: Address, wei: bigint): Promise<void>;
  blockNumber(): Promise<number>;
  stop(): Promise<void>;
}

/** A public client whose concurrent requests are sent as JSON-RPC batches. */
export function batchingClient(rpcUrl: string, chain: Chain): ChainClient {
  return createPublicClient({
    chain,
    transport: http(rpcUrl, { batch: { batchSize: 1_000, wait: 0 }, timeout: 120_000, retryCount: 0 }),
    pollingInterval: 20,
  }) as ChainClient;
}

/**
 * anvil options @avskit/devnet's startAnvil does not take (hardfork, block gas limit) are added
 * by a two-line wrapper script given to it as the binary: the process it runs, signals and
 * waits for is still anvil itself (the wrapper `exec`s it).
 */
async function anvilWrapper(args: readonly string[]): Promise<{ binary: string; dir: string } | undefined> {
  if (args.length === 0) return undefined;
  const dir = await mkdtemp(join(tmpdir(), "avskit-integration-anvil-"));
  const binary = join(dir, "anvil");
  const quoted = [resolveAnvilBinary(), ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  await writeFile(binary, `#!/bin/sh\nexec ${quoted} "$@"\n`);
  await chmod(binary, 0o755);
  return { binary, dir };
}

function extraAnvilArgs(options: StartTestAvsOptions): string[] {
  const args: string[] = [];
  if (options.hardfork !== undefined) {
    if (!/^[a-z][a-z0-9]*$/i.test(options.hardfork)) {
      throw new InvalidHelperInputError(`hardfork "${options.hardfork}" is not a hardfork name`);
    }
    args.push("--hardfork", options.hardfork);
  }
  if (options.blockGasLimit !== undefined) {
    if (options.blockGasLimit <= 0n) throw new InvalidHelperInputError("blockGasLimit must be positive");
    args.push("--gas-limit", options.blockGasLimit.toString());
  }
  if (options.stepsTracing) args.push("--steps-tracing");
  return args;
}

/**
 * Starts anvil (automine) on 127.0.0.1 with a free port, deploys the AVS through
 * @avskit/deploy's `deployAvs` (restaking stand-in, proxies, quorums, roles, the
 * OperatorStateRetriever). Call `stop()` when done.
 */
export async function startTestAvs(options: StartTestAvsOptions = {}): Promise<TestAvs> {
  const wrapper = await anvilWrapper(extraAnvilArgs(options));
  let anvil: AnvilInstance;
  try {
    anvil = await startAnvil({ port: 0, ...(wrapper ? { binary: wrapper.binary } : {}) });
  } catch (error) {
    if (wrapper) await rm(wrapper.dir, { recursive: true, force: true });
    throw error;
  }
  const deploymentsDir = await mkdtemp(join(tmpdir(), "avskit-test-deployments-"));
  const stop = async () => {
    await anvil.stop();
    await rm(deploymentsDir, { recursive: true, force: true });
    if (wrapper) await rm(wrapper.dir, { recursive: true, force: true });
  };
  try {
    const [deployerKey, generatorKey, aggregatorKey] = anvil.accounts;
    if (!deployerKey || !generatorKey || !aggregatorKey) {
      throw new UnexpectedChainStateError("anvil must provide at least 3 funded accounts");
    }
    const deployer = privateKeyToAccount(deployerKey.privateKey);
    const taskGenerator = privateKeyToAccount(generatorKey.privateKey);
    const aggregator = privateKeyToAccount(aggregatorKey.privateKey);
    const chain = chainFor(anvil.rpcUrl, anvil.chainId);
    const client = batchingClient(anvil.rpcUrl, chain);
    const walletClient = createWalletClient({ account: deployer, chain, transport: http(anvil.rpcUrl) });

    const config: DeployConfig = {
      owner: deployer.address,
      taskGenerators: [taskGenerator.address],
      aggregators: [aggregator.address],
      ...(options.quorums ? { quorums: options.quorums } : {}),
      ...(options.taskResponseWindowBlocks !== undefined
        ? { taskResponseWindowBlocks: options.taskResponseWindowBlocks }
        : {}),
      ...(options.taskChallengeWindowBlocks !== undefined
        ? { taskChallengeWindowBlocks: options.taskChallengeWindowBlocks }
        : {}),
    };
    const deployment = await deployAvs({
      publicClient: client,
      walletClient,
      config,
      expectedChainId: anvil.chainId,
      pollingIntervalMs: 20,
      ...(options.log ? { log: options.log } : {}),
    });

    await writeFile(join(deploymentsDir, `${anvil.chainId}.json`), serializeDeployment(deployment));

    const rpc = (method: string, params: readonly unknown[] = []) =>
      client.request({ method: method as never, params: params as never }) as Promise<unknown>;
    const nodeInfo = (await rpc("anvil_nodeInfo")) as { hardFork?: unknown };

    const testClient = anvilClient(client);
    return {
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      chain,
      client,
      testClient,
      sender: new TxSender(client),
      deployment,
      deploymentsDir,
      deployer,
      taskGenerator,
      aggregator,
      operatorStateRetriever: deployment.contracts.operatorStateRetriever,
      hardfork: typeof nodeInfo.hardFork === "string" ? nodeInfo.hardFork : "unknown",
      anvil,
      rpc,
      async mine(blocks: number) {
        if (!Number.isInteger(blocks) || blocks < 1) {
          throw new InvalidHelperInputError(`cannot mine ${blocks} blocks`);
        }
        await testClient.mine({ blocks });
      },
      async setBalance(address: Address, wei: bigint) {
        await testClient.setBalance({ address, value: wei });
      },
      async blockNumber() {
        return Number(await client.getBlockNumber({ cacheTime: 0 }));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
