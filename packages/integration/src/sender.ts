import {
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  encodeFunctionData,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type Transport,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { TransactionRevertedError, UnexpectedChainStateError } from "./errors.js";

export type TestClient = PublicClient<Transport, Chain>;

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
 * arrival; the transactions of one JSON-RPC batch may share a block). With a batching HTTP
 * transport, concurrent sends go out as one JSON-RPC batch.
 * Transactions of one account are ordered by nonce; nothing orders those of different accounts,
 * so confirm one wave before sending a wave that depends on it.
 */
export class TxSender {
  readonly #client: TestClient;
  readonly #nextNonce = new Map<Address, Promise<number>>();

  constructor(client: TestClient) {
    this.#client = client;
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
    return this.#client.sendRawTransaction({ serializedTransaction });
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
   * Waits for every receipt (polling them all in one batch per round rather than one watcher
   * per transaction); throws TransactionRevertedError naming the first that reverted.
   */
  async confirm(sent: readonly SentTx[], timeoutMs = 300_000): Promise<TransactionReceipt[]> {
    const receipts = new Array<TransactionReceipt | undefined>(sent.length);
    let pending = sent.map((_, i) => i);
    const deadline = Date.now() + timeoutMs;
    while (pending.length > 0) {
      const found = await Promise.all(
        pending.map((i) =>
          this.#client.getTransactionReceipt({ hash: sent[i]!.hash }).catch((error: unknown) => {
            if (error instanceof TransactionReceiptNotFoundError) return undefined;
            throw error;
          }),
        ),
      );
      pending = pending.filter((i, k) => {
        receipts[i] = found[k];
        return found[k] === undefined;
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        throw new UnexpectedChainStateError(
          `${pending.length} transaction(s) not mined within ${timeoutMs} ms, e.g. ${sent[pending[0]!]!.what}`,
        );
      }
      await sleep(20);
    }
    const mined = receipts as TransactionReceipt[];
    const failed = mined.findIndex((receipt) => receipt.status !== "success");
    if (failed >= 0) throw new TransactionRevertedError(sent[failed]!.what, sent[failed]!.hash);
    return mined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
