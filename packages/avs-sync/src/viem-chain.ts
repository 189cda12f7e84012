import { iIndexRegistryAbi, iRegistryCoordinatorAbi, iStakeRegistryAbi } from "@avskit/bindings";
import { waitForReceipt } from "@avskit/runtime";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hash,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  toHex,
  WaitForTransactionReceiptTimeoutError,
  type WalletClient,
} from "viem";
import { AvsSyncError, ReceiptTimeoutError, SignerRequiredError } from "./errors.js";
import type {
  LastFullUpdate,
  OperatorSnapshot,
  OperatorStake,
  QuorumSnapshot,
  SyncChain,
  TxOutcome,
} from "./sync-chain.js";

/** `--service-manager-addr` disagrees with the registry coordinator's own service manager. */
export class ServiceManagerMismatchError extends AvsSyncError {
  constructor(given: Address, actual: Address) {
    super(`--service-manager-addr is ${given} but the registry coordinator's service manager is ${actual}`);
  }
}

export interface ViemSyncChainOptions {
  readonly rpcUrl: string;
  readonly chain: Chain;
  /** Resolved (and its code checked) by the caller. */
  readonly registryCoordinator: Address;
  /** Checked against the coordinator's when given. */
  readonly serviceManager?: Address;
  /** Needed to send; estimates without one come from the zero address. */
  readonly account?: Account;
  /** Timeout of each read call. */
  readonly readerTimeoutMs: number;
  /** Timeout of each write call (the receipt wait has its own, per call). */
  readonly writerTimeoutMs: number;
  /** How often to poll for a receipt. */
  readonly pollingIntervalMs?: number;
}

type Reader = PublicClient<Transport, Chain>;
type Writer = WalletClient<Transport, Chain, Account>;

/** RegistryCoordinator status value of a registered operator. */
const REGISTERED = 1;

function quorumByte(quorum: number): Hex {
  return toHex(quorum, { size: 1 });
}

function quorumsOfBitmap(bitmap: bigint): number[] {
  const quorums: number[] = [];
  for (let quorum = 0; bitmap >> BigInt(quorum) > 0n; quorum++) {
    if ((bitmap >> BigInt(quorum)) & 1n) quorums.push(quorum);
  }
  return quorums;
}

/**
 * The sync's view of the AVS over JSON-RPC. Each snapshot is read in one block so that the
 * operator list and the stakes agree; reads go out as JSON-RPC batches (a quorum of 200 is
 * ~600 calls). Transport-level retries are off: the sync retries whole tries, with backoff.
 */
export class ViemSyncChain implements SyncChain {
  readonly #reader: Reader;
  readonly #writer: Writer | undefined;
  readonly #coordinator: Address;
  readonly #stakeRegistry: Address;
  readonly #indexRegistry: Address;
  readonly #account: Address | undefined;
  readonly #pollIntervalMs: number;

  private constructor(
    reader: Reader,
    writer: Writer | undefined,
    coordinator: Address,
    stake: Address,
    index: Address,
    pollIntervalMs: number,
  ) {
    this.#pollIntervalMs = pollIntervalMs;
    this.#reader = reader;
    this.#writer = writer;
    this.#coordinator = coordinator;
    this.#stakeRegistry = stake;
    this.#indexRegistry = index;
    this.#account = writer?.account.address;
  }

  /** Connects the clients and resolves the registries from the coordinator. */
  static async create(options: ViemSyncChainOptions): Promise<ViemSyncChain> {
    const reader = createPublicClient({
      chain: options.chain,
      transport: http(options.rpcUrl, {
        timeout: options.readerTimeoutMs,
        retryCount: 0,
        batch: { batchSize: 250, wait: 0 },
      }),
    }) as Reader;
    const writer = options.account
      ? createWalletClient({
          account: options.account,
          chain: options.chain,
          transport: http(options.rpcUrl, { timeout: options.writerTimeoutMs, retryCount: 0 }),
        })
      : undefined;
    const coordinator = options.registryCoordinator;
    const read = <F extends "stakeRegistry" | "indexRegistry" | "serviceManager">(functionName: F) =>
      reader.readContract({ address: coordinator, abi: iRegistryCoordinatorAbi, functionName });
    const [stakeRegistry, indexRegistry, serviceManager] = await Promise.all([
      read("stakeRegistry"),
      read("indexRegistry"),
      read("serviceManager"),
    ]);
    if (options.serviceManager !== undefined && getAddress(serviceManager) !== options.serviceManager) {
      throw new ServiceManagerMismatchError(options.serviceManager, getAddress(serviceManager));
    }
    return new ViemSyncChain(
      reader,
      writer,
      coordinator,
      stakeRegistry,
      indexRegistry,
      options.pollingIntervalMs ?? 1_000,
    );
  }

  get stakeRegistry(): Address {
    return this.#stakeRegistry;
  }

  async quorumCount(): Promise<number> {
    return this.#reader.readContract({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "quorumCount",
    });
  }

  async #stakesAt(
    quorum: number,
    entries: readonly { operator: Address; operatorId: Hex }[],
    blockNumber: bigint,
  ): Promise<OperatorStake[]> {
    return Promise.all(
      entries.map(async ({ operator, operatorId }) => {
        const [stored, weight] = await Promise.all([
          this.#reader.readContract({
            address: this.#stakeRegistry,
            abi: iStakeRegistryAbi,
            functionName: "getCurrentStake",
            args: [operatorId, quorum],
            blockNumber,
          }),
          this.#reader.readContract({
            address: this.#stakeRegistry,
            abi: iStakeRegistryAbi,
            functionName: "weightOfOperatorForQuorum",
            args: [quorum, operator],
            blockNumber,
          }),
        ]);
        return { operator, stored, weight };
      }),
    );
  }

  #minimumStake(quorum: number, blockNumber: bigint): Promise<bigint> {
    return this.#reader.readContract({
      address: this.#stakeRegistry,
      abi: iStakeRegistryAbi,
      functionName: "minimumStakeForQuorum",
      args: [quorum],
      blockNumber,
    });
  }

  async readQuorum(quorum: number): Promise<QuorumSnapshot> {
    const blockNumber = await this.#reader.getBlockNumber({ cacheTime: 0 });
    const [operatorIds, minimumStake] = await Promise.all([
      this.#reader.readContract({
        address: this.#indexRegistry,
        abi: iIndexRegistryAbi,
        functionName: "getCurrentOperatorList",
        args: [quorum],
        blockNumber,
      }),
      this.#minimumStake(quorum, blockNumber),
    ]);
    const operators = await Promise.all(
      operatorIds.map((operatorId) =>
        this.#reader.readContract({
          address: this.#coordinator,
          abi: iRegistryCoordinatorAbi,
          functionName: "getOperatorFromId",
          args: [operatorId],
          blockNumber,
        }),
      ),
    );
    const entries = operators.map((operator, i) => ({ operator, operatorId: operatorIds[i]! }));
    const stakes = await this.#stakesAt(quorum, entries, blockNumber);
    return { quorum, blockNumber, operators, stakes, minimumStake };
  }

  async readOperators(operators: readonly Address[]): Promise<OperatorSnapshot[]> {
    const blockNumber = await this.#reader.getBlockNumber({ cacheTime: 0 });
    return Promise.all(
      operators.map(async (operator): Promise<OperatorSnapshot> => {
        const info = await this.#reader.readContract({
          address: this.#coordinator,
          abi: iRegistryCoordinatorAbi,
          functionName: "getOperator",
          args: [operator],
          blockNumber,
        });
        if (info.status !== REGISTERED) return { operator, registered: false, quorums: [] };
        const bitmap = await this.#reader.readContract({
          address: this.#coordinator,
          abi: iRegistryCoordinatorAbi,
          functionName: "getCurrentQuorumBitmap",
          args: [info.operatorId],
          blockNumber,
        });
        const quorums = await Promise.all(
          quorumsOfBitmap(bitmap).map(async (quorum) => {
            const [[stake], minimumStake] = await Promise.all([
              this.#stakesAt(quorum, [{ operator, operatorId: info.operatorId }], blockNumber),
              this.#minimumStake(quorum, blockNumber),
            ]);
            return { quorum, stake: stake!, minimumStake };
          }),
        );
        return { operator, registered: true, quorums };
      }),
    );
  }

  async lastFullUpdate(quorum: number): Promise<LastFullUpdate | undefined> {
    const blockNumber = await this.#reader.readContract({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "quorumUpdateBlockNumber",
      args: [quorum],
    });
    if (blockNumber === 0n) return undefined;
    const block = await this.#reader.getBlock({ blockNumber });
    return { blockNumber, timestamp: Number(block.timestamp) };
  }

  estimateQuorumUpdate(quorum: number, operators: readonly Address[]): Promise<bigint> {
    return this.#reader.estimateContractGas({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "updateOperatorsForQuorum",
      args: [[[...operators]], quorumByte(quorum)],
      ...(this.#account ? { account: this.#account } : {}),
    });
  }

  #requireWriter(): Writer {
    if (!this.#writer) throw new SignerRequiredError();
    return this.#writer;
  }

  sendQuorumUpdate(quorum: number, operators: readonly Address[], gasLimit: bigint): Promise<Hash> {
    return this.#requireWriter().writeContract({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "updateOperatorsForQuorum",
      args: [[[...operators]], quorumByte(quorum)],
      gas: gasLimit,
    });
  }

  estimateOperatorsUpdate(operators: readonly Address[]): Promise<bigint> {
    return this.#reader.estimateContractGas({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "updateOperators",
      args: [[...operators]],
      ...(this.#account ? { account: this.#account } : {}),
    });
  }

  sendOperatorsUpdate(operators: readonly Address[], gasLimit: bigint): Promise<Hash> {
    return this.#requireWriter().writeContract({
      address: this.#coordinator,
      abi: iRegistryCoordinatorAbi,
      functionName: "updateOperators",
      args: [[...operators]],
      gas: gasLimit,
    });
  }

  async waitForOutcome(txHash: Hash, timeoutMs: number, signal?: AbortSignal): Promise<TxOutcome> {
    let receipt: TransactionReceipt;
    try {
      receipt = await waitForReceipt(this.#reader, txHash, {
        timeoutMs,
        pollIntervalMs: this.#pollIntervalMs,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof WaitForTransactionReceiptTimeoutError) {
        throw new ReceiptTimeoutError(txHash, timeoutMs, { cause: error });
      }
      throw error;
    }
    const block = await this.#reader.getBlock({ blockNumber: receipt.blockNumber });
    return {
      txHash,
      status: receipt.status,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      timestamp: Number(block.timestamp),
    };
  }
}
