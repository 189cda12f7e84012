import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chainFor, publicClientFor } from "@avskit/deploy";
import { createWalletClient, http, type PublicClient, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AnvilInstance } from "../src/anvil.js";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `avskit-${prefix}-`));
}

/** Clients for one of anvil's accounts (0 = the deployer). */
export function clientsFor(
  anvil: AnvilInstance,
  accountIndex = 0,
): { publicClient: PublicClient; walletClient: WalletClient } {
  const chain = chainFor(anvil.rpcUrl, anvil.chainId);
  const account = privateKeyToAccount(anvil.accounts[accountIndex]!.privateKey);
  return {
    publicClient: publicClientFor(anvil.rpcUrl, { chain, pollingIntervalMs: 50 }),
    walletClient: createWalletClient({ account, chain, transport: http(anvil.rpcUrl) }),
  };
}

/** Collects log lines. */
export function collector(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}
