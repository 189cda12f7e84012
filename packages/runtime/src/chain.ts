import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

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
