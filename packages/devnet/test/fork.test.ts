import {
  delegationManagerAbi,
  loadDeployment,
  stakeRegistryAbi,
  strategyManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import { deployRestakingStandIn, TxRunner } from "@avskit/deploy";
import { zeroAddress } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { type AnvilInstance, startAnvil } from "../src/anvil.js";
import { startChain } from "../src/chain.js";
import { clientsFor, tempDir } from "./support.js";

// No real network is reachable here, so "a fork of a chain with EigenLayer on it" is a
// second anvil forking a first one over JSON-RPC on 127.0.0.1: upstream has the restaking
// contracts; the AVS is deployed on the fork only and points at them.
describe("deploying the AVS on a fork, against the forked chain's restaking contracts", () => {
  const started: AnvilInstance[] = [];
  afterAll(async () => {
    await Promise.all(started.map((anvil) => anvil.stop()));
  });

  it("uses the upstream DelegationManager, AVSDirectory and strategies, and reads forked stake", async () => {
    const upstream = await startAnvil();
    started.push(upstream);
    const up = clientsFor(upstream);
    const runner = new TxRunner({ ...up, log: () => {} });
    const restaking = await deployRestakingStandIn(runner, up.publicClient, {
      tokens: [
        { name: "Upstream A", symbol: "UPA" },
        { name: "Upstream B", symbol: "UPB" },
      ],
      minWithdrawalDelayBlocks: 5,
    });
    const [a, b] = restaking.strategies;

    const dir = tempDir("fork");
    const operatorSetParams = {
      maxOperatorCount: 10,
      kickBIPsOfOperatorStake: 11_000,
      kickBIPsOfTotalStake: 1_001,
    };
    // anvil B forks anvil A; the AVS goes on B, wired to A's restaking contracts.
    const chain = await startChain({
      port: 0,
      forkUrl: upstream.rpcUrl,
      delegationManager: restaking.delegationManager,
      avsDirectory: restaking.avsDirectory,
      strategyManager: restaking.strategyManager,
      deploymentsDir: dir,
      quorums: [
        {
          minimumStake: 0n,
          operatorSetParams,
          strategies: [{ strategy: a!.strategy, multiplier: 2n * 10n ** 18n }],
        },
        {
          minimumStake: 0n,
          operatorSetParams,
          strategies: [
            { strategy: b!.strategy, multiplier: 10n ** 18n },
            { strategy: a!.strategy, multiplier: 10n ** 18n },
          ],
        },
      ],
    });
    const fork = chain.anvil;
    started.push(fork);
    const { publicClient, walletClient } = clientsFor(fork);
    expect(chain.chainId).toBe(upstream.chainId);
    const deployment = await loadDeployment(fork.chainId, { dir });
    expect(deployment).toEqual(chain.deployment);
    expect(deployment.restaking).toEqual({
      source: "external",
      delegationManager: restaking.delegationManager,
      avsDirectory: restaking.avsDirectory,
      strategyManager: restaking.strategyManager,
    });
    // Tokens were read from the upstream strategies through the fork.
    expect(deployment.quorums[1]!.strategies.map((s) => s.token)).toEqual([b!.token, a!.token]);

    const stakeRegistry = deployment.contracts.stakeRegistry.proxy;
    expect(
      await publicClient.readContract({
        address: stakeRegistry,
        abi: stakeRegistryAbi,
        functionName: "delegation",
      }),
    ).toBe(restaking.delegationManager);
    // The AVS exists on the fork only.
    expect(await up.publicClient.getCode({ address: stakeRegistry })).toBeUndefined();

    // Stake added to the forked restaking contracts counts in the fork's AVS.
    const operator = clientsFor(fork, 3);
    const operatorAddress = fork.accounts[3]!.address;
    const amount = 7n * 10n ** 18n;
    const send = async (
      client: typeof walletClient,
      request: Parameters<typeof walletClient.writeContract>[0],
    ): Promise<void> => {
      const hash = await client.writeContract(request);
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    };
    await send(walletClient, {
      address: a!.token,
      abi: testTokenAbi,
      functionName: "mint",
      args: [operatorAddress, amount],
      account: walletClient.account!,
      chain: walletClient.chain,
    });
    await send(operator.walletClient, {
      address: restaking.delegationManager,
      abi: delegationManagerAbi,
      functionName: "registerAsOperator",
      args: [
        {
          __deprecated_earningsReceiver: operatorAddress,
          delegationApprover: zeroAddress,
          stakerOptOutWindowBlocks: 0,
        },
        "",
      ],
      account: operator.walletClient.account!,
      chain: operator.walletClient.chain,
    });
    await send(operator.walletClient, {
      address: a!.token,
      abi: testTokenAbi,
      functionName: "approve",
      args: [restaking.strategyManager, amount],
      account: operator.walletClient.account!,
      chain: operator.walletClient.chain,
    });
    await send(operator.walletClient, {
      address: restaking.strategyManager,
      abi: strategyManagerAbi,
      functionName: "depositIntoStrategy",
      args: [a!.strategy, a!.token, amount],
      account: operator.walletClient.account!,
      chain: operator.walletClient.chain,
    });
    const weight = (quorum: number) =>
      publicClient.readContract({
        address: stakeRegistry,
        abi: stakeRegistryAbi,
        functionName: "weightOfOperatorForQuorum",
        args: [quorum, operatorAddress],
      });
    expect(await weight(0)).toBe(2n * amount);
    expect(await weight(1)).toBe(amount);
  });
});
