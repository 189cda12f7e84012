import { downtimeEjectorAbi, downtimeEjectorBytecode, registryCoordinatorAbi } from "@avskit/bindings";
import { type Address, createWalletClient, http } from "viem";
import type { TestAvs } from "./avs.js";

export interface DeployDowntimeEjectorOptions {
  /** Quorums that sign reports and that an operator is ejected from (default [0]). */
  readonly quorums?: readonly number[];
  readonly thresholdPercentage?: number;
  readonly maxDowntimeBps?: number;
  /** Start of epoch 0, unix seconds (default: the latest block's time less a minute). */
  readonly epochOrigin?: bigint;
  /** Epoch length in seconds (default 3600). */
  readonly epochLength?: bigint;
}

/**
 * Deploys a DowntimeEjector over the test AVS's checker (the TaskManager proxy) and makes it the
 * coordinator's ejector, as an AVS owner would; its address.
 */
export async function deployDowntimeEjector(
  avs: TestAvs,
  options: DeployDowntimeEjectorOptions = {},
): Promise<Address> {
  const wallet = createWalletClient({ account: avs.deployer, chain: avs.chain, transport: http(avs.rpcUrl) });
  const origin = options.epochOrigin ?? (await avs.client.getBlock()).timestamp - 60n;
  const quorums =
    `0x${(options.quorums ?? [0]).map((q) => q.toString(16).padStart(2, "0")).join("")}` as const;
  const deployed = await avs.client.waitForTransactionReceipt({
    hash: await wallet.deployContract({
      abi: downtimeEjectorAbi,
      bytecode: downtimeEjectorBytecode,
      args: [
        avs.deployment.contracts.taskManager.proxy,
        quorums,
        options.thresholdPercentage ?? 67,
        options.maxDowntimeBps ?? 1000,
        origin,
        options.epochLength ?? 3600n,
      ],
    }),
  });
  const ejector = deployed.contractAddress!;
  await avs.client.waitForTransactionReceipt({
    hash: await wallet.writeContract({
      address: avs.deployment.contracts.registryCoordinator.proxy,
      abi: registryCoordinatorAbi,
      functionName: "setEjector",
      args: [ejector],
    }),
  });
  return ejector;
}
