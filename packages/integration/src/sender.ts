import {
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createTestClient,
  custom,
  encodeFunctionData,
  type Hash,
  type PublicClient,
  type TestClient,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type Transport,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { TransactionRevertedError, UnexpectedChainStateError } from "./errors.js";

/** The public client of a test chain. */
export type ChainClient = PublicClient<Transport, Chain>;
/** viem's test actions of anvil (mine, setAutomine, setCode, setBalance, txpool…). */
export type AnvilClient = TestClient<"anvil", Transport, Chain>;

/** anvil's test actions over the same transport as `client` (a batching one stays batching). */
export function anvilClient(client: ChainClient): AnvilClient {
  return createTestClient({
    mode: "anvil",
    chain: client.chain,
    transport: custom({ request: (args) => client.request(args as never) }),
  }) as AnvilClient;
}

/** A transaction sent and not yet confirmed, with a label for error messages. */
export interface SentTx {
  readonly what: string;
  readonly hash: Hash;
}

/** A call to send: contract, typed function and arguments, optional gas limit. */
export interface TxCall<A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">> {
  readonly to: Address;
  readonly abi: A;
  readonly functionName: F;
  readonly args: ContractFunctionArgs<A, "nonpayable" | "payable", F>;
  /** Gas limit; DEFAULT_GAS when omitted. No estimate is made: estimates cost a round trip each. */
  readonly gas?: bigint;
}

const DEFAULT_GAS = 1_000_000n;
// Generous caps: these are local chains where every account is funded with anvil_setBalance.
const MAX_FEE_PER_GAS = 100_000_000_000n;
const MAX_PRIORITY_FEE_PER_GAS = 1_000_000_000n;

/**
 * Sends many transactions fast: each is signed locally with an explicit nonce, gas limit and
 * fees and handed to the node without waiting for it to be mined (anvil's automine mines on
 * arrival; transactions arriving together may share a block). With a batching HTTP transport,
 * concurrent sends go out as JSON-RPC batches. Transactions of one account are ordered by
 * nonce; nothing orders those of different accounts, so confirm one wave before sending a wave
 * that depends on it.
 *
 * Two guards against anvil (1.7.1) under load: at most `maxUnconfirmed` transactions are
 * outstanding at once (further sends wait, in order, for receipts), because its pool slows to a
 * crawl with thousands pending; and when a polling round finds no new receipt for a while, a
 * block is mined (evm_mine), because automine can leave ready transactions unmined after a
 * burst until something else triggers a block.
 */
export class TxSender {
  readonly #client: ChainClient;
  readonly #anvil: AnvilClient;
  readonly #maxUnconfirmed: number;
  readonly #nextNonce = new Map<Address, Promise<number>>();
  /** Sent, receipt not seen yet. */
  readonly #unconfirmed = new Set<Hash>();
  /** Receipts seen by a polling round and not yet handed out by `confirm`. */
  readonly #receipts = new Map<Hash, TransactionReceipt>();
  /** Sends that passed the queue and are on their way to the node. */
  #reserved = 0;
  /** FIFO of sends waiting for room. */
  #queue: Promise<void> = Promise.resolve();
  #round: Promise<void> | undefined;
  #idleRounds = 0;
  /** Depth of `bulk` calls: while > 0, automine is off and each polling round mines a block. */
  #bulkDepth = 0;

  /** @param maxUnconfirmed Most transactions sent and not yet seen mined. */
  constructor(client: ChainClient, maxUnconfirmed = 400) {
    if (!Number.isInteger(maxUnconfirmed) || maxUnconfirmed < 1) {
      throw new RangeError(`maxUnconfirmed ${maxUnconfirmed} must be a positive integer`);
    }
    this.#client = client;
    this.#anvil = anvilClient(client);
    this.#maxUnconfirmed = maxUnconfirmed;
  }

  #takeNonce(account: PrivateKeyAccount): Promise<number> {
    const previous =
      this.#nextNonce.get(account.address) ??
      this.#client.getTransactionCount({ address: account.address, blockTag: "pending" });
    this.#nextNonce.set(
      account.address,
      previous.then((nonce) => nonce + 1),
    );
    return previous;
  }

  /** Forgets the cached nonce of `account` (after it sent transactions by other means). */
  resync(account: Address): void {
    this.#nextNonce.delete(account);
  }

  /** Waits, in call order, until one more transaction may be outstanding; reserves its place. */
  #room(): Promise<void> {
    const turn = this.#queue.then(async () => {
      while (this.#unconfirmed.size + this.#reserved >= this.#maxUnconfirmed) await this.#pollRound();
      this.#reserved += 1;
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Signs and sends; resolves with the hash once the node accepted the transaction. */
  async send<const A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">>(
    account: PrivateKeyAccount,
    call: TxCall<A, F>,
  ): Promise<Hash> {
    const data = encodeFunctionData({
      abi: call.abi,
      functionName: call.functionName,
      args: call.args,
    } as never);
    const nonce = await this.#takeNonce(account);
    const serializedTransaction = await account.signTransaction({
      type: "eip1559",
      chainId: this.#client.chain.id,
      nonce,
      to: call.to,
      data,
      gas: call.gas ?? DEFAULT_GAS,
      maxFeePerGas: MAX_FEE_PER_GAS,
      maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
    });
    await this.#room();
    try {
      const hash = await this.#client.sendRawTransaction({ serializedTransaction });
      this.#unconfirmed.add(hash);
      return hash;
    } finally {
      this.#reserved -= 1;
    }
  }

  /** `send` with a label, for `confirm`. */
  async sendLabelled<const A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">>(
    what: string,
    account: PrivateKeyAccount,
    call: TxCall<A, F>,
  ): Promise<SentTx> {
    return { what, hash: await this.send(account, call) };
  }

  /**
   * Runs `work` with anvil's automine off: every polling round mines one block holding all the
   * ready transactions. Hundreds of transactions per block instead of one make bulk setup several
   * times faster (anvil computes a state root per block). Nested calls share one bulk phase.
   */
  async bulk<T>(work: () => Promise<T>): Promise<T> {
    if (this.#bulkDepth === 0) await this.#anvil.setAutomine(false);
    this.#bulkDepth += 1;
    try {
      return await work();
    } finally {
      this.#bulkDepth -= 1;
      if (this.#bulkDepth === 0) {
        // Whatever is still in the pool (a wave that failed half-way) is mined, not left behind.
        await this.#anvil.mine({ blocks: 1 });
        await this.#anvil.setAutomine(true);
      }
    }
  }

  /** One shared polling round: every outstanding receipt in one batch; mines a block when stuck. */
  #pollRound(): Promise<void> {
    this.#round ??= (async () => {
      if (this.#bulkDepth > 0 && this.#unconfirmed.size > 0) await this.#anvil.mine({ blocks: 1 });
      const hashes = [...this.#unconfirmed];
      const found = await Promise.all(
        hashes.map((hash) =>
          this.#client.getTransactionReceipt({ hash }).catch((error: unknown) => {
            if (error instanceof TransactionReceiptNotFoundError) return undefined;
            throw error;
          }),
        ),
      );
      let progress = false;
      hashes.forEach((hash, i) => {
        const receipt = found[i];
        if (receipt === undefined) return;
        this.#receipts.set(hash, receipt);
        this.#unconfirmed.delete(hash);
        progress = true;
      });
      if (progress) {
        this.#idleRounds = 0;
        return;
      }
      this.#idleRounds += 1;
      if (this.#idleRounds >= 10) {
        this.#idleRounds = 0;
        await this.#anvil.mine({ blocks: 1 });
      }
      await sleep(20);
    })().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /**
   * Waits for every receipt; throws TransactionRevertedError naming the first that reverted.
   * (Hashes sent by other means are polled too.)
   */
  async confirm(sent: readonly SentTx[], timeoutMs = 300_000): Promise<TransactionReceipt[]> {
    for (const { hash } of sent) {
      if (!this.#receipts.has(hash)) this.#unconfirmed.add(hash);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = sent.filter(({ hash }) => !this.#receipts.has(hash));
      if (missing.length === 0) break;
      if (Date.now() > deadline) {
        throw new UnexpectedChainStateError(
          `${missing.length} transaction(s) not mined within ${timeoutMs} ms, e.g. ${missing[0]!.what}`,
        );
      }
      await this.#pollRound();
    }
    const receipts = sent.map(({ hash }) => this.#receipts.get(hash)!);
    for (const { hash } of sent) this.#receipts.delete(hash);
    const failed = receipts.findIndex((receipt) => receipt.status !== "success");
    if (failed >= 0) throw new TransactionRevertedError(sent[failed]!.what, sent[failed]!.hash);
    return receipts;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
