import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hash,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
  TransactionReceiptNotFoundError,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { AbortedError, abortable } from "./abortable.js";
import { sleep } from "./shutdown.js";

export interface ChainClientOptions {
  readonly rpcUrl: string;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  /** Retries of failed requests (exponential backoff from retryDelayMs). */
  readonly retryCount?: number;
  readonly retryDelayMs?: number;
  /** How often to poll for blocks and logs; a local chain wants it short. */
  readonly pollingIntervalMs?: number;
}

export type ReadClient = PublicClient<Transport, Chain>;
export type WriteClient = WalletClient<Transport, Chain, Account>;

export class RpcUnreachableError extends Error {
  readonly rpcUrl: string;
  constructor(rpcUrl: string, cause: unknown) {
    super(`cannot reach the JSON-RPC endpoint ${rpcUrl}: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = "RpcUnreachableError";
    this.rpcUrl = rpcUrl;
  }
}

function transportFor(options: ChainClientOptions): Transport {
  return http(options.rpcUrl, {
    timeout: options.timeoutMs ?? 10_000,
    retryCount: options.retryCount ?? 3,
    retryDelay: options.retryDelayMs ?? 150,
  });
}

/**
 * Connects to the endpoint and learns its chain id, so a wrong or dead URL fails at start-up
 * with a clear error instead of on the first real call.
 */
export async function connectChain(options: ChainClientOptions): Promise<ReadClient> {
  const probe = createPublicClient({ transport: transportFor({ ...options, retryCount: 1 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    throw new RpcUnreachableError(options.rpcUrl, error);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  return createPublicClient({
    chain,
    transport: transportFor(options),
    pollingInterval: options.pollingIntervalMs ?? 1_000,
  }) as ReadClient;
}

export function walletFor(
  publicClient: ReadClient,
  account: Account,
  options: ChainClientOptions,
): WriteClient {
  return createWalletClient({ account, chain: publicClient.chain, transport: transportFor(options) });
}

export function accountFromPrivateKey(privateKey: Hex): Account {
  return privateKeyToAccount(privateKey);
}

/** A receipt wait ended by a stop request: the transaction was sent, its outcome is not known here. */
export class ReceiptWaitAbortedError extends Error {
  readonly hash: Hash;
  constructor(hash: Hash, reason: unknown) {
    super(
      `stopped waiting for the receipt of ${hash} (${(reason as Error)?.message ?? String(reason ?? "aborted")}); it may still be mined`,
    );
    this.name = "ReceiptWaitAbortedError";
    this.hash = hash;
  }
}

/** How long the one look after a stop may take. */
const LAST_LOOK_MS = 2_000;

export interface WaitForReceiptOptions {
  /** Give up after this long with viem's WaitForTransactionReceiptTimeoutError (default 60 s). */
  readonly timeoutMs?: number;
  /** Time between eth_getTransactionReceipt calls (default 250 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Aborting ends the wait at once with ReceiptWaitAbortedError, a request in flight included. A
   * signal aborted already still gets one short look, so a transaction mined already is reported mined.
   */
  readonly signal?: AbortSignal;
}

/**
 * Polls for a transaction's receipt until it is mined, the timeout passes, or `signal` aborts.
 * viem's own wait cannot be aborted: a service stopping while the chain is gone would sit out
 * the whole timeout. RPC failures while polling are retried until the timeout.
 */
export async function waitForReceipt(
  client: ReadClient,
  hash: Hash,
  options: WaitForReceiptOptions = {},
): Promise<TransactionReceipt> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  const { signal } = options;
  // Asked after the stop began (a transaction sent while stopping), it still takes one short
  // look: on a chain that mines on arrival the receipt is already there.
  const lastLook = signal?.aborted ? AbortSignal.timeout(LAST_LOOK_MS) : undefined;
  for (let first = true; ; first = false) {
    if (signal?.aborted && !(first && lastLook)) throw new ReceiptWaitAbortedError(hash, signal.reason);
    try {
      return await abortable(client.getTransactionReceipt({ hash }), lastLook ?? signal);
    } catch (error) {
      if (error instanceof AbortedError) throw new ReceiptWaitAbortedError(hash, signal?.reason);
      // Not mined yet, or the endpoint is briefly down: both are worth another look.
      if (!(error instanceof TransactionReceiptNotFoundError) && Date.now() >= deadline) throw error;
    }
    if (signal?.aborted) throw new ReceiptWaitAbortedError(hash, signal.reason);
    if (Date.now() >= deadline) throw new WaitForTransactionReceiptTimeoutError({ hash });
    await sleep(Math.min(pollIntervalMs, Math.max(1, deadline - Date.now())), signal);
  }
}
