// A deployed AVS on a throw-away anvil (127.0.0.1, free port), for the anvil tests and the benchmark.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { iStakeRegistryAbi, registryCoordinatorAbi } from "@avskit/bindings";
import { chainFor, type QuorumConfig } from "@avskit/deploy";
import { type RunningChain, startChain } from "@avskit/devnet";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type AvsContext, batchingClient, type Client, Sender } from "./operators.js";

export interface TestAvs extends AvsContext {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly deploymentsDir: string;
  /** anvil's funded dev accounts after the deployer (index 0 = anvil account 1). */
  readonly spareKeys: readonly Hex[];
  stop(): Promise<void>;
}

export async function startTestAvs(options: { quorums?: readonly QuorumConfig[] } = {}): Promise<TestAvs> {
  const deploymentsDir = await mkdtemp(join(tmpdir(), "avs-sync-deployments-"));
  let chain: RunningChain;
  try {
    chain = await startChain({
      port: 0,
      deploymentsDir,
      ...(options.quorums ? { quorums: options.quorums } : {}),
    });
  } catch (error) {
    await rm(deploymentsDir, { recursive: true, force: true });
    throw error;
  }
  const client: Client = batchingClient(chain.rpcUrl, chainFor(chain.rpcUrl, chain.chainId));
  return {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deploymentsDir,
    client,
    sender: new Sender(client),
    deployment: chain.deployment,
    deployer: privateKeyToAccount(chain.roles.deployer.privateKey),
    spareKeys: chain.anvil.accounts.slice(1).map((a) => a.privateKey),
    async stop() {
      await chain.stop();
      await rm(deploymentsDir, { recursive: true, force: true });
    },
  };
}

/** What the StakeRegistry records for the operator, and what an update would record. */
export async function stakeOf(
  avs: TestAvs,
  operatorId: Hex,
  operator: Address,
  quorum: number,
): Promise<{ stored: bigint; weight: bigint }> {
  const stakeRegistry = avs.deployment.contracts.stakeRegistry.proxy;
  const [stored, weight] = await Promise.all([
    avs.client.readContract({
      address: stakeRegistry,
      abi: iStakeRegistryAbi,
      functionName: "getCurrentStake",
      args: [operatorId, quorum],
    }),
    avs.client.readContract({
      address: stakeRegistry,
      abi: iStakeRegistryAbi,
      functionName: "weightOfOperatorForQuorum",
      args: [quorum, operator],
    }),
  ]);
  return { stored, weight };
}

export async function quorumUpdateBlock(avs: TestAvs, quorum: number): Promise<bigint> {
  return avs.client.readContract({
    address: avs.deployment.contracts.registryCoordinator.proxy,
    abi: registryCoordinatorAbi,
    functionName: "quorumUpdateBlockNumber",
    args: [quorum],
  });
}

/** Calls an anvil or debug JSON-RPC method viem has no typed action for. */
export function rpc(avs: TestAvs, method: string, params: unknown[] = []): Promise<unknown> {
  return avs.client.request({ method: method as never, params: params as never });
}
