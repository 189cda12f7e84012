/**
 * Test staging for the challenger: registers operators, creates tasks and posts responses
 * (right or wrong) with real BLS aggregates, exactly as the aggregator would, so that the
 * contract accepts them. Written here because the operator package's registration was not
 * exported when these tests were written; it talks to the real contracts only.
 */

import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  type Deployment,
  delegationManagerAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
  taskManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import {
  aggregateG1,
  aggregateG2,
  type BlsKeyPair,
  buildPubkeyRegistration,
  g1FromSolidity,
  g1ToSolidity,
  g2ToSolidity,
  generateKeyPair,
  operatorIdFromPublicKey,
  signDigest,
} from "@avskit/bls";
import type { DevAccount } from "@avskit/devnet";
import {
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  keccak256,
  type LocalAccount,
  type Log,
  type PublicClient,
  parseEventLogs,
  toHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

export interface StagedOperator {
  readonly account: LocalAccount;
  readonly bls: BlsKeyPair;
  readonly operatorId: Hex;
}

export interface StagedTask {
  readonly taskIndex: number;
  readonly task: {
    a: bigint;
    b: bigint;
    taskCreatedBlock: number;
    quorumThresholdPercentage: number;
    quorumNumbers: Hex;
  };
}

export class AvsStage {
  readonly client: PublicClient;
  readonly #chain: Chain;
  readonly #rpcUrl: string;
  readonly #deployment: Deployment;

  constructor(rpcUrl: string, chainId: number, deployment: Deployment) {
    this.#rpcUrl = rpcUrl;
    this.#chain = {
      id: chainId,
      name: "anvil",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    };
    this.client = createPublicClient({ chain: this.#chain, transport: http(rpcUrl), pollingInterval: 50 });
    this.#deployment = deployment;
  }

  get #contracts() {
    return this.#deployment.contracts;
  }

  /** Sends `data` to `to` from `from` and waits for a successful receipt. */
  async send(from: LocalAccount | DevAccount, to: Address, data: Hex): Promise<{ hash: Hash; logs: Log[] }> {
    const account = "privateKey" in from ? privateKeyToAccount(from.privateKey) : from;
    const wallet = createWalletClient({ account, chain: this.#chain, transport: http(this.#rpcUrl) });
    const hash = await wallet.sendTransaction({ to, data });
    const receipt = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return { hash, logs: receipt.logs };
  }

  /** Funds, stakes and registers an operator in `quorums` with a fresh BLS key. */
  async registerOperator(
    deployer: DevAccount,
    operatorKey: Hex,
    quorums: readonly number[],
    stake: bigint,
  ): Promise<StagedOperator> {
    const account = privateKeyToAccount(operatorKey);
    const bls = generateKeyPair();
    const { restaking } = this.#deployment;
    for (const quorum of quorums) {
      const { strategy, token } = this.#deployment.quorums[quorum]!.strategies[0]!;
      await this.send(
        deployer,
        token,
        encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [account.address, stake] }),
      );
      await this.send(
        account,
        token,
        encodeFunctionData({
          abi: testTokenAbi,
          functionName: "approve",
          args: [restaking.strategyManager!, stake],
        }),
      );
      await this.send(
        account,
        restaking.strategyManager!,
        encodeFunctionData({
          abi: strategyManagerAbi,
          functionName: "depositIntoStrategy",
          args: [strategy, token, stake],
        }),
      );
    }
    await this.send(
      account,
      restaking.delegationManager,
      encodeFunctionData({
        abi: delegationManagerAbi,
        functionName: "registerAsOperator",
        args: [
          {
            __deprecated_earningsReceiver: account.address,
            delegationApprover: zeroAddress,
            stakerOptOutWindowBlocks: 0,
          },
          "",
        ],
      }),
    );
    const messagePoint = await this.client.readContract({
      address: this.#contracts.registryCoordinator.proxy,
      abi: registryCoordinatorAbi,
      functionName: "pubkeyRegistrationMessageHash",
      args: [account.address],
    });
    const pubkeyParams = buildPubkeyRegistration(
      bls,
      g1FromSolidity({ X: messagePoint.X, Y: messagePoint.Y }),
    );
    const latest = await this.client.getBlock();
    const salt = keccak256(toHex(`salt-${account.address}`));
    const expiry = latest.timestamp + 3600n;
    const digest = await this.client.readContract({
      address: restaking.avsDirectory,
      abi: avsDirectoryAbi,
      functionName: "calculateOperatorAVSRegistrationDigestHash",
      args: [account.address, this.#contracts.serviceManager.proxy, salt, expiry],
    });
    const signature = await account.sign!({ hash: digest });
    await this.send(
      account,
      this.#contracts.registryCoordinator.proxy,
      encodeFunctionData({
        abi: registryCoordinatorAbi,
        functionName: "registerOperator",
        args: [
          toHex(Uint8Array.from(quorums)),
          `operator-${account.address}`,
          pubkeyParams,
          { signature, salt, expiry },
        ],
      }),
    );
    return { account, bls, operatorId: operatorIdFromPublicKey(bls.publicKeyG1) };
  }

  async createTask(
    taskGenerator: DevAccount,
    a: bigint,
    b: bigint,
    quorumNumbers: Hex,
    threshold: number,
  ): Promise<StagedTask> {
    const { logs } = await this.send(
      taskGenerator,
      this.#contracts.taskManager.proxy,
      encodeFunctionData({
        abi: taskManagerAbi,
        functionName: "createNewTask",
        args: [a, b, threshold, quorumNumbers],
      }),
    );
    const [created] = parseEventLogs({ abi: taskManagerAbi, logs, eventName: "NewTaskCreated" });
    if (!created) throw new Error("no NewTaskCreated");
    const { task } = created.args;
    return {
      taskIndex: created.args.taskIndex,
      task: {
        a: task.a,
        b: task.b,
        taskCreatedBlock: task.taskCreatedBlock,
        quorumThresholdPercentage: task.quorumThresholdPercentage,
        quorumNumbers: task.quorumNumbers,
      },
    };
  }

  /**
   * Posts `sum` as the response to `staged`, signed by `signers`; every other operator of the
   * task's quorums becomes a non-signer. Builds the signature checker's input from the
   * registries' histories at the task's reference block, as the aggregator does.
   */
  async respond(
    aggregator: DevAccount,
    staged: StagedTask,
    sum: bigint,
    signers: readonly StagedOperator[],
    everyone: readonly StagedOperator[],
    /** Send through this contract (e.g. a forwarder holding the aggregator role) instead of directly. */
    via?: Address,
  ): Promise<Hash> {
    const { task, taskIndex } = staged;
    const { registryCoordinator, stakeRegistry, blsApkRegistry } = this.#contracts;
    const referenceBlock = task.taskCreatedBlock;
    // The chain must be past the reference block.
    await this.client.request({ method: "evm_mine" as never, params: [] as never });
    const quorums = [...Buffer.from(task.quorumNumbers.slice(2), "hex")];
    const taskBitmap = quorums.reduce((bits, q) => bits | (1n << BigInt(q)), 0n);
    const signerIds = new Set(signers.map((signer) => signer.operatorId));

    const bitmaps = new Map<Hex, bigint>();
    for (const operator of everyone) {
      const bitmap = await this.client.readContract({
        address: registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "getQuorumBitmapAtBlockNumber",
        args: [operator.operatorId, referenceBlock],
      });
      bitmaps.set(operator.operatorId, BigInt(bitmap) & taskBitmap);
    }
    const nonSigners = everyone
      .filter((operator) => !signerIds.has(operator.operatorId) && bitmaps.get(operator.operatorId)! !== 0n)
      .sort((x, y) => (BigInt(x.operatorId) < BigInt(y.operatorId) ? -1 : 1));
    const multiplicity = (operator: StagedOperator) => {
      let count = 0;
      for (let bits = bitmaps.get(operator.operatorId)!; bits > 0n; bits >>= 1n) count += Number(bits & 1n);
      return count;
    };

    const digest = keccak256(
      encodeAbiParameters(
        [
          {
            type: "tuple",
            components: [
              { name: "referenceTaskIndex", type: "uint32" },
              { name: "sum", type: "uint256" },
            ],
          },
        ],
        [{ referenceTaskIndex: taskIndex, sum }],
      ),
    );
    const weighted = signers.flatMap((signer) => Array.from({ length: multiplicity(signer) }, () => signer));
    const sigma = aggregateG1(weighted.map((signer) => signDigest(signer.bls.secretKey, digest)));
    const apkG2 = aggregateG2(weighted.map((signer) => signer.bls.publicKeyG2));

    const nonSignerIds = nonSigners.map((operator) => operator.operatorId);
    const [nonSignerQuorumBitmapIndices, quorumApkIndices, totalStakeIndices] = await Promise.all([
      this.client.readContract({
        address: registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "getQuorumBitmapIndicesAtBlockNumber",
        args: [referenceBlock, nonSignerIds],
      }),
      this.client.readContract({
        address: blsApkRegistry.proxy,
        abi: blsApkRegistryAbi,
        functionName: "getApkIndicesAtBlockNumber",
        args: [task.quorumNumbers, referenceBlock],
      }),
      this.client.readContract({
        address: stakeRegistry.proxy,
        abi: stakeRegistryAbi,
        functionName: "getTotalStakeIndicesAtBlockNumber",
        args: [referenceBlock, task.quorumNumbers],
      }),
    ]);
    const quorumApks = [];
    const nonSignerStakeIndices: number[][] = [];
    for (const quorum of quorums) {
      // The quorum's operator set has not changed since the reference block in these tests.
      quorumApks.push(
        await this.client.readContract({
          address: blsApkRegistry.proxy,
          abi: blsApkRegistryAbi,
          functionName: "getApk",
          args: [quorum],
        }),
      );
      const indices: number[] = [];
      for (const operator of nonSigners) {
        if (((bitmaps.get(operator.operatorId)! >> BigInt(quorum)) & 1n) === 0n) continue;
        const index = await this.client.readContract({
          address: stakeRegistry.proxy,
          abi: stakeRegistryAbi,
          functionName: "getStakeUpdateIndexAtBlockNumber",
          args: [operator.operatorId, quorum, referenceBlock],
        });
        indices.push(Number(index));
      }
      nonSignerStakeIndices.push(indices);
    }

    const { hash } = await this.send(
      aggregator,
      via ?? this.#contracts.taskManager.proxy,
      encodeFunctionData({
        abi: taskManagerAbi,
        functionName: "respondToTask",
        args: [
          task,
          { referenceTaskIndex: taskIndex, sum },
          {
            nonSignerQuorumBitmapIndices: [...nonSignerQuorumBitmapIndices],
            nonSignerPubkeys: nonSigners.map((operator) => g1ToSolidity(operator.bls.publicKeyG1)),
            quorumApks: quorumApks.map((apk) => ({ X: apk.X, Y: apk.Y })),
            apkG2: g2ToSolidity(apkG2),
            sigma: g1ToSolidity(sigma),
            quorumApkIndices: [...quorumApkIndices],
            totalStakeIndices: [...totalStakeIndices],
            nonSignerStakeIndices,
            hashHint: { nonResidueRoots: [], y: 0n, yRoot: 0n },
          },
        ],
      }),
    );
    return hash;
  }

  /**
   * Deploys a minimal forwarder: it passes its calldata on to `target` and bubbles up a revert,
   * like a multisig or relayer would. Hand-assembled (no Solidity needed for a test fixture):
   * CALLDATACOPY, CALL(target), revert with the return data on failure.
   */
  async deployForwarder(from: DevAccount, target: Address): Promise<Address> {
    const runtime = `0x36600060003760006000366000600073${target.slice(2).toLowerCase()}5af115602b57005b3d600060003e3d6000fd`;
    const length = (runtime.length - 2) / 2;
    const init = `0x60${length.toString(16).padStart(2, "0")}80600b6000396000f3${runtime.slice(2)}` as Hex;
    const account = privateKeyToAccount(from.privateKey);
    const wallet = createWalletClient({ account, chain: this.#chain, transport: http(this.#rpcUrl) });
    const hash = await wallet.sendTransaction({ data: init });
    const receipt = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (!receipt.contractAddress) throw new Error("forwarder not deployed");
    return receipt.contractAddress;
  }
}
