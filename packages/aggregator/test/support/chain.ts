// A throw-away AVS on anvil (127.0.0.1, free port) with registered operators, for the
// aggregator's chain tests and its benchmark. Setup transactions are signed locally with
// explicit nonces and sent without waiting for each other (anvil mines each on arrival);
// balances come from anvil_setBalance. None of this is aggregator code or measured by the bench.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  avsDirectoryAbi,
  type Deployment,
  delegationManagerAbi,
  registryCoordinatorAbi,
  strategyManagerAbi,
  taskManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import {
  type BlsKeyPair,
  buildPubkeyRegistration,
  g1FromSolidity,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
} from "@avskit/bls";
import { chainFor, type QuorumConfig } from "@avskit/deploy";
import { type RunningChain, startChain } from "@avskit/devnet";
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEventLogs,
  type Transport,
  toHex,
  zeroAddress,
} from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

export type Client = PublicClient<Transport, Chain>;
const E18 = 10n ** 18n;

/** Signs and sends transactions with locally tracked nonces, without waiting for receipts. */
class Sender {
  readonly #nonces = new Map<Address, number>();
  constructor(readonly client: Client) {}

  async send(
    account: PrivateKeyAccount,
    to: Address,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
    gas = 1_000_000n,
  ) {
    let nonce = this.#nonces.get(account.address);
    if (nonce === undefined)
      nonce = await this.client.getTransactionCount({ address: account.address, blockTag: "pending" });
    this.#nonces.set(account.address, nonce + 1);
    const serializedTransaction = await account.signTransaction({
      type: "eip1559",
      chainId: this.client.chain.id,
      nonce,
      to,
      data: encodeFunctionData({ abi, functionName, args } as never),
      gas,
      maxFeePerGas: 50_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    return this.client.sendRawTransaction({ serializedTransaction });
  }

  async confirm(hashes: readonly { what: string; hash: Hash }[]): Promise<void> {
    // Automine packs a burst into blocks up to the gas limit and mines the rest only when
    // another transaction arrives: mine until the pool is empty.
    for (;;) {
      const status = (await this.client.request({ method: "txpool_status" as never })) as { pending: Hex };
      if (BigInt(status.pending) === 0n) break;
      await this.client.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
    }
    const receipts = await Promise.all(
      hashes.map((h) =>
        this.client.waitForTransactionReceipt({ hash: h.hash, pollingInterval: 50, timeout: 120_000 }),
      ),
    );
    const failed = receipts.findIndex((r) => r.status !== "success");
    if (failed >= 0) throw new Error(`${hashes[failed]!.what} reverted (${hashes[failed]!.hash})`);
  }
}

export interface ChainOperator {
  readonly account: PrivateKeyAccount;
  readonly bls: BlsKeyPair;
  readonly operatorId: Hex;
  readonly quorums: readonly number[];
}

export interface TestAvs {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly client: Client;
  readonly deployment: Deployment;
  readonly deploymentsDir: string;
  readonly taskManager: Address;
  readonly deployer: PrivateKeyAccount;
  readonly taskGenerator: PrivateKeyAccount;
  /** The account with AGGREGATOR_ROLE. */
  readonly aggregatorKey: Hex;
  readonly sender: Sender;
  stop(): Promise<void>;
}

/** Quorums whose operator cap fits `maxOperators` (the deployer's default cap is 32). */
export function quorumsFor(count: number, maxOperators: number): QuorumConfig[] {
  return Array.from({ length: count }, (_, q) => ({
    minimumStake: 1n * E18,
    operatorSetParams: {
      maxOperatorCount: maxOperators,
      kickBIPsOfOperatorStake: 11_000,
      kickBIPsOfTotalStake: 1_001,
    },
    strategies: [{ token: { name: `Aggregator Test ${q}`, symbol: `AGT${q}` }, multiplier: E18 }],
  }));
}

export async function startTestAvs(options: { quorums?: readonly QuorumConfig[] } = {}): Promise<TestAvs> {
  const deploymentsDir = await mkdtemp(join(tmpdir(), "aggregator-deployments-"));
  let chain: RunningChain;
  try {
    chain = await startChain({
      port: 0,
      deploymentsDir,
      ...(options.quorums ? { quorums: options.quorums } : {}),
    });
  } catch (error) {
    await rm(deploymentsDir, { recursive: true, force: true });
    throw error;
  }
  const client = createPublicClient({
    chain: chainFor(chain.rpcUrl, chain.chainId),
    transport: http(chain.rpcUrl, { batch: { batchSize: 200, wait: 2 } }),
    pollingInterval: 50,
  }) as Client;
  return {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    client,
    deployment: chain.deployment,
    deploymentsDir,
    taskManager: chain.deployment.contracts.taskManager.proxy,
    deployer: privateKeyToAccount(chain.roles.deployer.privateKey),
    taskGenerator: privateKeyToAccount(chain.roles.taskGenerator.privateKey),
    aggregatorKey: chain.roles.aggregator.privateKey,
    sender: new Sender(client),
    async stop() {
      await chain.stop();
      await rm(deploymentsDir, { recursive: true, force: true });
    },
  };
}

/** Deterministic keys so runs are repeatable (never use such keys outside a test chain). */
function testKeys(seed: number): { ecdsa: Hex; bls: BlsKeyPair } {
  const ecdsa = keccak256(toHex(`aggregator-test-ecdsa-${seed}`));
  const blsSecret =
    BigInt(keccak256(toHex(`aggregator-test-bls-${seed}`))) %
    21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  return { ecdsa, bls: keyPairFromSecretKey(blsSecret === 0n ? 1n : blsSecret) };
}

/**
 * Creates and registers operators: stake (1 token × stakeUnits) deposited for each of its
 * quorums, registered as an EigenLayer-style operator, then in the AVS with a BLS proof of
 * possession. `specs[i]` lists operator i's quorums and stake.
 */
export async function registerOperators(
  avs: TestAvs,
  specs: readonly { quorums: readonly number[]; stake: bigint }[],
  seedOffset = 0,
): Promise<ChainOperator[]> {
  const operators = specs.map((spec, i) => {
    const keys = testKeys(seedOffset + i);
    return {
      account: privateKeyToAccount(keys.ecdsa),
      bls: keys.bls,
      operatorId: operatorIdFromPublicKey(keys.bls.publicKeyG1).toLowerCase() as Hex,
      quorums: [...spec.quorums],
      stake: spec.stake,
    };
  });
  const { client, sender, deployment, deployer } = avs;
  await Promise.all(
    operators.map((op) =>
      client.request({
        method: "anvil_setBalance" as never,
        params: [op.account.address, toHex(1000n * E18)] as never,
      }),
    ),
  );
  const strategyManager = deployment.restaking.strategyManager!;
  // Mint (deployer), then approve + deposit + registerAsOperator (each operator).
  const mints = [];
  for (const op of operators) {
    for (const q of op.quorums) {
      const { token } = deployment.quorums[q]!.strategies[0]!;
      mints.push({
        what: `mint ${q}`,
        hash: await sender.send(
          deployer,
          token,
          testTokenAbi,
          "mint",
          [op.account.address, op.stake],
          100_000n,
        ),
      });
    }
  }
  await sender.confirm(mints);
  const prepared = (
    await Promise.all(
      operators.map(async (op) => {
        const steps = [];
        for (const q of op.quorums) {
          const { token, strategy } = deployment.quorums[q]!.strategies[0]!;
          steps.push({
            what: "approve",
            hash: await sender.send(
              op.account,
              token,
              testTokenAbi,
              "approve",
              [strategyManager, op.stake],
              100_000n,
            ),
          });
          steps.push({
            what: "deposit",
            hash: await sender.send(
              op.account,
              strategyManager,
              strategyManagerAbi,
              "depositIntoStrategy",
              [strategy, token, op.stake],
              400_000n,
            ),
          });
        }
        steps.push({
          what: "registerAsOperator",
          hash: await sender.send(
            op.account,
            deployment.restaking.delegationManager,
            delegationManagerAbi,
            "registerAsOperator",
            [
              {
                __deprecated_earningsReceiver: op.account.address,
                delegationApprover: zeroAddress,
                stakerOptOutWindowBlocks: 0,
              },
              "",
            ],
            300_000n,
          ),
        });
        return steps;
      }),
    )
  ).flat();
  await sender.confirm(prepared);
  const coordinator = deployment.contracts.registryCoordinator.proxy;
  const { timestamp } = await client.getBlock();
  const registrations = await Promise.all(
    operators.map(async (op, i) => {
      const salt = toHex(BigInt(seedOffset + i + 1), { size: 32 });
      const expiry = timestamp + 86_400n;
      const [messagePoint, digest] = await Promise.all([
        client.readContract({
          address: coordinator,
          abi: registryCoordinatorAbi,
          functionName: "pubkeyRegistrationMessageHash",
          args: [op.account.address],
        }),
        client.readContract({
          address: deployment.restaking.avsDirectory,
          abi: avsDirectoryAbi,
          functionName: "calculateOperatorAVSRegistrationDigestHash",
          args: [op.account.address, deployment.contracts.serviceManager.proxy, salt, expiry],
        }),
      ]);
      const params = buildPubkeyRegistration(
        op.bls,
        g1FromSolidity({ X: messagePoint.X, Y: messagePoint.Y }),
      );
      const signature = await op.account.sign({ hash: digest });
      return {
        what: `registerOperator ${i}`,
        hash: await sender.send(
          op.account,
          coordinator,
          registryCoordinatorAbi,
          "registerOperator",
          [toHex(Uint8Array.from(op.quorums)), `op-${i}`, params, { signature, salt, expiry }],
          3_000_000n,
        ),
      };
    }),
  );
  await sender.confirm(registrations);
  return operators;
}

export interface CreatedTask {
  readonly taskIndex: number;
  readonly blockNumber: bigint;
  readonly task: {
    a: bigint;
    b: bigint;
    taskCreatedBlock: number;
    quorumThresholdPercentage: number;
    quorumNumbers: Hex;
  };
}

/** Posts createNewTask as the task generator and returns the emitted task. */
export async function createTask(
  avs: TestAvs,
  options: { a: bigint; b: bigint; threshold: number; quorums: readonly number[] },
): Promise<CreatedTask> {
  const hash = await avs.sender.send(
    avs.taskGenerator,
    avs.taskManager,
    taskManagerAbi,
    "createNewTask",
    [options.a, options.b, options.threshold, toHex(Uint8Array.from(options.quorums))],
    500_000n,
  );
  const receipt = await avs.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  const [event] = parseEventLogs({ abi: taskManagerAbi, logs: receipt.logs, eventName: "NewTaskCreated" });
  if (!event) throw new Error("createNewTask emitted no NewTaskCreated");
  return {
    taskIndex: event.args.taskIndex,
    blockNumber: receipt.blockNumber,
    task: event.args.task as CreatedTask["task"],
  };
}

/** Mines `blocks` empty blocks. */
export async function mine(avs: TestAvs, blocks: number): Promise<void> {
  await avs.client.request({ method: "anvil_mine" as never, params: [toHex(blocks)] as never });
}

/** What the task manager recorded as the response to a task (zero hash when none). */
export async function recordedResponse(avs: TestAvs, taskIndex: number): Promise<Hex> {
  return avs.client.readContract({
    address: avs.taskManager,
    abi: taskManagerAbi,
    functionName: "allTaskResponses",
    args: [taskIndex],
  });
}
