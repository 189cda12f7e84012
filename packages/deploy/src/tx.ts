import {
  type Abi,
  type Account,
  type Address,
  BaseError,
  type ContractConstructorArgs,
  type ContractFunctionArgs,
  type ContractFunctionName,
  decodeErrorResult,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  type Hex,
  isHex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { DeployStepError } from "./errors.js";

/** One transaction of the deployment, named for logs and errors ("deploying StakeRegistry implementation"). */
export interface PlannedTx {
  step: string;
  /** Absent for contract creation. */
  to?: Address;
  data: Hex;
  /** Used to decode custom errors when the step reverts. */
  abi: Abi;
}

/** No argument for a constructor without inputs (or no constructor at all), else the typed tuple. */
type ConstructorArgsParam<abi extends Abi> =
  ContractConstructorArgs<abi> extends readonly []
    ? []
    : readonly unknown[] extends ContractConstructorArgs<abi>
      ? []
      : [ContractConstructorArgs<abi>];

/** A contract creation step, with constructor arguments type-checked against the ABI. */
export function deployTx<const abi extends Abi>(
  step: string,
  contract: { abi: abi; bytecode: Hex },
  ...args: ConstructorArgsParam<abi>
): PlannedTx {
  const data = encodeDeployData({
    abi: contract.abi as Abi,
    bytecode: contract.bytecode,
    args: args[0] as readonly unknown[],
  });
  return { step, data, abi: contract.abi };
}

/** A call step, with function name and arguments type-checked against the ABI. */
export function callTx<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(
  step: string,
  to: Address,
  abi: abi,
  functionName: functionName,
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
): PlannedTx {
  const data = encodeFunctionData({
    abi: abi as Abi,
    functionName: functionName as string,
    args: args as readonly unknown[],
  });
  return { step, to, data, abi };
}

export interface TxRunnerOptions {
  publicClient: PublicClient;
  walletClient: WalletClient;
  /** One line per mined step. */
  log: (line: string) => void;
  /** Extra ABIs whose custom errors a revert may carry (e.g. those of contracts called indirectly). */
  errorAbis?: readonly Abi[];
  /** How often to poll for receipts; the public client's interval when omitted. */
  pollingIntervalMs?: number;
  /** Give up waiting for a receipt after this long (default 180 s). */
  receiptTimeoutMs?: number;
}

export interface MinedStep {
  step: string;
  receipt: TransactionReceipt;
}

/** Adds head-room over the estimate: state read by the estimate can change before inclusion. */
const GAS_MARGIN_PERCENT = 120n;

function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const found = error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    return typeof data === "string" && isHex(data) && data.length >= 10;
  }) as { data?: Hex } | null;
  return found?.data;
}

/** Names the custom error in a revert when one of the known ABIs declares it. */
export function describeRevert(error: unknown, abis: readonly Abi[]): string {
  const data = revertData(error);
  if (data !== undefined) {
    for (const abi of abis) {
      try {
        const decoded = decodeErrorResult({ abi, data });
        const args = (decoded.args ?? []).map((arg) => String(arg)).join(", ");
        return `reverted with ${decoded.errorName}(${args})`;
      } catch {
        // not declared in this ABI; try the next
      }
    }
  }
  const message =
    error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  return data !== undefined ? `${message} (revert data ${data})` : message;
}

/**
 * Sends deployment transactions in waves. A wave's transactions must not depend on each
 * other: all are gas-estimated first (so a revert is caught before anything of the wave is
 * sent), then sent back to back with explicit nonces, then awaited together. That is one
 * round-trip per wave instead of per transaction, which matters on chains with a block time.
 */
export class TxRunner {
  readonly #options: TxRunnerOptions;
  readonly #account: Account;
  #nextNonce: number | undefined;
  gasUsed = 0n;
  transactions = 0;
  /** Highest block holding one of this runner's transactions. */
  lastBlockNumber = 0n;

  constructor(options: TxRunnerOptions) {
    const account = options.walletClient.account;
    if (account === undefined) throw new TypeError("the wallet client needs an account (the deployer)");
    this.#options = options;
    this.#account = account;
  }

  get deployer(): Address {
    return this.#account.address;
  }

  async one(tx: PlannedTx): Promise<TransactionReceipt> {
    const [mined] = await this.wave([tx]);
    return mined!.receipt;
  }

  async wave(txs: readonly PlannedTx[]): Promise<MinedStep[]> {
    const { publicClient, walletClient, log } = this.#options;
    const abisFor = (tx: PlannedTx) => [tx.abi, ...(this.#options.errorAbis ?? [])];

    const gases = await Promise.all(
      txs.map((tx) =>
        publicClient
          .estimateGas({ account: this.#account, to: tx.to, data: tx.data })
          .catch((error: unknown) => {
            throw new DeployStepError(tx.step, describeRevert(error, abisFor(tx)), undefined, {
              cause: error,
            });
          }),
      ),
    );

    this.#nextNonce ??= await publicClient.getTransactionCount({
      address: this.#account.address,
      blockTag: "pending",
    });
    const sent: { tx: PlannedTx; hash: Hex }[] = [];
    for (const [i, tx] of txs.entries()) {
      try {
        const hash = await walletClient.sendTransaction({
          account: this.#account,
          chain: walletClient.chain ?? null,
          to: tx.to ?? null,
          data: tx.data,
          gas: (gases[i]! * GAS_MARGIN_PERCENT) / 100n,
          nonce: this.#nextNonce,
        });
        this.#nextNonce += 1;
        sent.push({ tx, hash });
      } catch (error) {
        // Our nonce view may now be wrong (e.g. the key was used elsewhere): re-read it next time.
        this.#nextNonce = undefined;
        throw new DeployStepError(
          tx.step,
          `sending failed: ${describeRevert(error, abisFor(tx))}`,
          undefined,
          {
            cause: error,
          },
        );
      }
    }

    const receipts = await Promise.all(
      sent.map(({ tx, hash }) =>
        publicClient
          .waitForTransactionReceipt({
            hash,
            pollingInterval: this.#options.pollingIntervalMs,
            timeout: this.#options.receiptTimeoutMs ?? 180_000,
          })
          .catch((error: unknown) => {
            throw new DeployStepError(tx.step, `no receipt: ${describeRevert(error, [])}`, hash, {
              cause: error,
            });
          }),
      ),
    );

    return sent.map(({ tx, hash }, i) => {
      const receipt = receipts[i]!;
      if (receipt.status !== "success") {
        throw new DeployStepError(tx.step, `reverted in block ${receipt.blockNumber}`, hash);
      }
      this.gasUsed += receipt.gasUsed;
      if (receipt.blockNumber > this.lastBlockNumber) this.lastBlockNumber = receipt.blockNumber;
      this.transactions += 1;
      const created = receipt.contractAddress ? ` -> ${receipt.contractAddress}` : "";
      log(`${tx.step}${created} (gas ${receipt.gasUsed.toLocaleString("en-US")})`);
      return { step: tx.step, receipt };
    });
  }

  /** Like `wave`, for contract creations: returns the created addresses in order. */
  async deployWave(txs: readonly PlannedTx[]): Promise<Address[]> {
    const mined = await this.wave(txs);
    return mined.map(({ step, receipt }) => {
      if (!receipt.contractAddress)
        throw new DeployStepError(step, "the receipt has no contract address", receipt.transactionHash);
      return getAddress(receipt.contractAddress);
    });
  }
}
