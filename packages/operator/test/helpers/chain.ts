import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningChain, startChain } from "@avskit/devnet";
import { connectChain, type ReadClient, type WriteClient, walletFor } from "@avskit/runtime";
import { type Hex, numberToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export interface TestChain {
  readonly chain: RunningChain;
  readonly rpcUrl: string;
  /** Holds `<chainId>.json`; pass it as --deployments-dir. */
  readonly deploymentsDir: string;
  /** Scratch folder for keys and files, removed with the chain. */
  readonly dir: string;
  readonly publicClient: ReadClient;
  readonly deployer: WriteClient;
  readonly taskGenerator: WriteClient;
  wallet(privateKey: Hex): WriteClient;
  /** Mines `blocks` empty blocks at once (anvil_mine). */
  mine(blocks: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real anvil on 127.0.0.1 (free port) with the whole system deployed by the devnet's own
 * code path (restaking stand-in, two quorums, 30-block response window), as `npm start` does.
 */
export async function startTestChain(): Promise<TestChain> {
  const dir = await mkdtemp(join(tmpdir(), "avskit-operator-chain-"));
  const deploymentsDir = join(dir, "deployments");
  const chain = await startChain({ port: 0, deploymentsDir });
  const clientOptions = { rpcUrl: chain.rpcUrl, pollingIntervalMs: 100 };
  const publicClient = await connectChain(clientOptions);
  const wallet = (privateKey: Hex) => walletFor(publicClient, privateKeyToAccount(privateKey), clientOptions);
  return {
    chain,
    rpcUrl: chain.rpcUrl,
    deploymentsDir,
    dir,
    publicClient,
    deployer: wallet(chain.roles.deployer.privateKey),
    taskGenerator: wallet(chain.roles.taskGenerator.privateKey),
    wallet,
    mine: async (blocks) => {
      await publicClient.request({ method: "anvil_mine" as never, params: [numberToHex(blocks)] as never });
    },
    stop: async () => {
      await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
