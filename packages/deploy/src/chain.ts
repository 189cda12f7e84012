import { BaseError, type Chain, createPublicClient, defineChain, http, type PublicClient } from "viem";
import { RpcUnreachableError, WrongChainError } from "./errors.js";

function describe(error: unknown): string {
  if (error instanceof BaseError) {
    const details = (error as BaseError & { details?: string }).details;
    return details ? `${error.shortMessage} (${details})` : error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The endpoint's URL, for messages (viem keeps it on http transports). */
export function rpcUrlOf(client: PublicClient): string {
  const url = (client.transport as { url?: unknown }).url;
  return typeof url === "string" ? url : "the RPC endpoint";
}

/** Asks the endpoint for its chain id; an unreachable endpoint becomes `RpcUnreachableError`. */
export async function readChainId(publicClient: PublicClient, expectedChainId?: number): Promise<number> {
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch (error) {
    throw new RpcUnreachableError(rpcUrlOf(publicClient), describe(error), { cause: error });
  }
  if (expectedChainId !== undefined && chainId !== expectedChainId) {
    throw new WrongChainError(expectedChainId, chainId, rpcUrlOf(publicClient));
  }
  return chainId;
}

/** A viem chain for an endpoint known only by URL and id. */
export function chainFor(rpcUrl: string, chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Public client for an RPC URL, with short timeouts and one retry (fail fast when it is down). */
export function publicClientFor(
  rpcUrl: string,
  options: { chain?: Chain; pollingIntervalMs?: number } = {},
): PublicClient {
  return createPublicClient({
    chain: options.chain,
    transport: http(rpcUrl, { retryCount: 1, timeout: 30_000 }),
    pollingInterval: options.pollingIntervalMs ?? 1_000,
  });
}
