import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  loadDeployment,
  operatorStateRetrieverAbi,
  PROXIED_CONTRACTS,
  proxyAdminAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
  taskManagerAbi,
} from "@avskit/bindings";
import {
  callTx,
  DeployError,
  DeploymentExistsError,
  DeployStepError,
  deployAndRecord,
  deployAvs,
  publicClientFor,
  RpcUnreachableError,
  recordedAddresses,
  TxRunner,
  WrongChainError,
} from "@avskit/deploy";
import { type Address, getAddress, sliceHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnvilInstance, startAnvil } from "../src/anvil.js";
import { clientsFor, collector, tempDir } from "./support.js";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("deployAndRecord on anvil", () => {
  let anvil: AnvilInstance;
  const dir = tempDir("deployments");
  const path = join(dir, "31337.json");

  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(async () => {
    await anvil?.stop();
  });

  it("deploys everything, records a file the loader accepts, and the chain matches the record", async () => {
    const { publicClient, walletClient } = clientsFor(anvil);
    const [deployer, gen1, gen2, agg, churn, owner] = anvil.accounts.map((a) => a.address);
    const { lines, log } = collector();
    const result = await deployAndRecord({
      publicClient,
      walletClient,
      log,
      deploymentsDir: dir,
      pollingIntervalMs: 50,
      config: {
        owner,
        taskGenerators: [gen1!, gen2!],
        aggregators: [agg!],
        churnApprover: churn,
        taskResponseWindowBlocks: 7,
      },
    });
    expect(result.previous).toBe("none");
    expect(result.path).toBe(path);
    expect(lines).toContain(`recorded in ${path}`);
    expect(lines.some((line) => line.startsWith("deploying StakeRegistry implementation -> 0x"))).toBe(true);

    const deployment = await loadDeployment(31337, { dir });
    expect(deployment).toEqual(result.deployment);
    expect(deployment.deployer).toBe(deployer);
    expect(deployment.restaking.source).toBe("stand-in");
    expect(deployment.roles).toEqual({
      owner,
      churnApprover: churn,
      ejector: owner,
      taskGenerators: [gen1, gen2],
      aggregators: [agg],
    });
    const block = await publicClient.getBlock({ blockNumber: BigInt(deployment.deployedAt.blockNumber) });
    expect(block.hash).toBe(deployment.deployedAt.blockHash);

    for (const address of recordedAddresses(deployment)) {
      expect(await publicClient.getCode({ address }), address).toMatch(/^0x[0-9a-f]{20,}/);
    }

    const { contracts, quorums } = deployment;
    for (const name of PROXIED_CONTRACTS) {
      const contract = contracts[name];
      const slot = await publicClient.getStorageAt({ address: contract.proxy, slot: IMPLEMENTATION_SLOT });
      expect(getAddress(sliceHex(slot!, 12))).toBe(contract.implementation);
      expect(
        await publicClient.readContract({
          address: contract.proxyAdmin,
          abi: proxyAdminAbi,
          functionName: "owner",
        }),
      ).toBe(owner);
    }

    const coordinator = {
      address: contracts.registryCoordinator.proxy,
      abi: registryCoordinatorAbi,
    } as const;
    expect(await publicClient.readContract({ ...coordinator, functionName: "quorumCount" })).toBe(2);
    expect(await publicClient.readContract({ ...coordinator, functionName: "churnApprover" })).toBe(churn);
    const stake = { address: contracts.stakeRegistry.proxy, abi: stakeRegistryAbi } as const;
    expect(await publicClient.readContract({ ...stake, functionName: "delegation" })).toBe(
      deployment.restaking.delegationManager,
    );
    for (const quorum of quorums) {
      const q = quorum.quorumNumber;
      expect(
        await publicClient.readContract({ ...stake, functionName: "getStrategyParams", args: [q] }),
      ).toEqual(quorum.strategies.map(({ strategy, multiplier }) => ({ strategy, multiplier })));
      expect(
        await publicClient.readContract({ ...stake, functionName: "minimumStakeForQuorum", args: [q] }),
      ).toBe(quorum.minimumStake);
      expect(
        await publicClient.readContract({ ...coordinator, functionName: "getOperatorSetParams", args: [q] }),
      ).toEqual(quorum.operatorSetParams);
    }
    expect(quorums.map((q) => q.strategies.length)).toEqual([1, 2]);
    // The recorded retriever answers for this AVS.
    const operators = await publicClient.readContract({
      address: contracts.operatorStateRetriever,
      abi: operatorStateRetrieverAbi,
      functionName: "getOperatorState",
      args: [contracts.registryCoordinator.proxy, "0x0001", Number(await publicClient.getBlockNumber())],
    });
    expect(operators).toEqual([[], []]);

    const tasks = { address: contracts.taskManager.proxy, abi: taskManagerAbi } as const;
    const role = async (name: "AGGREGATOR_ROLE" | "TASK_GENERATOR_ROLE" | "DEFAULT_ADMIN_ROLE") =>
      publicClient.readContract({ ...tasks, functionName: name });
    const hasRole = async (name: Parameters<typeof role>[0], account: Address) =>
      publicClient.readContract({ ...tasks, functionName: "hasRole", args: [await role(name), account] });
    expect(await hasRole("TASK_GENERATOR_ROLE", gen1!)).toBe(true);
    expect(await hasRole("TASK_GENERATOR_ROLE", gen2!)).toBe(true);
    expect(await hasRole("AGGREGATOR_ROLE", agg!)).toBe(true);
    expect(await hasRole("AGGREGATOR_ROLE", gen1!)).toBe(false);
    expect(await hasRole("DEFAULT_ADMIN_ROLE", owner!)).toBe(true);
    expect(await hasRole("DEFAULT_ADMIN_ROLE", deployer!)).toBe(false);
    expect(await publicClient.readContract({ ...tasks, functionName: "TASK_RESPONSE_WINDOW_BLOCK" })).toBe(7);
    expect(await publicClient.readContract({ ...tasks, functionName: "TASK_CHALLENGE_WINDOW_BLOCK" })).toBe(
      100,
    );
  });

  it("refuses to deploy over the live deployment, and --redeploy replaces it", async () => {
    const { publicClient, walletClient } = clientsFor(anvil);
    const before = readFileSync(path, "utf8");
    const refused = await deployAndRecord({ publicClient, walletClient, deploymentsDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(DeploymentExistsError);
    expect((refused as Error).message).toMatch(
      /chain 31337 already has a live deployment recorded in .*31337\.json.*--redeploy/,
    );
    expect(readFileSync(path, "utf8")).toBe(before);

    const { lines, log } = collector();
    const redeployed = await deployAndRecord({
      publicClient,
      walletClient,
      deploymentsDir: dir,
      redeploy: true,
      log,
    });
    expect(redeployed.previous).toBe("live");
    expect(lines[0]).toMatch(/redeploying: replacing the live deployment/);
    const old = JSON.parse(before) as { contracts: { taskManager: { proxy: string } } };
    expect(redeployed.deployment.contracts.taskManager.proxy).not.toBe(
      getAddress(old.contracts.taskManager.proxy),
    );
    expect((await loadDeployment(31337, { dir })).contracts.taskManager.proxy).toBe(
      redeployed.deployment.contracts.taskManager.proxy,
    );
  });

  it("will not overwrite an unreadable record without --redeploy", async () => {
    const { publicClient, walletClient } = clientsFor(anvil);
    const other = tempDir("invalid");
    writeFileSync(join(other, "31337.json"), '{"format": "something else"}');
    const error = await deployAndRecord({ publicClient, walletClient, deploymentsDir: other }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(
      /exists but is not a valid deployments file .*format.*pass --redeploy/,
    );
    expect(readFileSync(join(other, "31337.json"), "utf8")).toBe('{"format": "something else"}');
  });

  it("refuses the wrong chain and names an unreachable endpoint", async () => {
    const { publicClient, walletClient } = clientsFor(anvil);
    const wrong = await deployAvs({ publicClient, walletClient, expectedChainId: 1 }).catch(
      (e: unknown) => e,
    );
    expect(wrong).toBeInstanceOf(WrongChainError);
    expect((wrong as Error).message).toBe(`expected chain 1, but ${anvil.rpcUrl} is on chain 31337`);

    const down = publicClientFor("http://127.0.0.1:1");
    const unreachable = await deployAvs({ publicClient: down, walletClient }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(RpcUnreachableError);
    expect((unreachable as Error).message).toMatch(
      /cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:1/,
    );
  });

  it("names the step that reverts, with the decoded custom error", async () => {
    const live = await loadDeployment(31337, { dir });
    // Not the owner of the StrategyManager: OwnableUnauthorizedAccount.
    const stranger = clientsFor(anvil, 7);
    const runner = new TxRunner({ ...stranger, log: () => {}, errorAbis: [strategyManagerAbi] });
    const whitelist = callTx(
      "whitelisting a strategy",
      live.restaking.strategyManager!,
      strategyManagerAbi,
      "addStrategiesToDepositWhitelist",
      [[live.quorums[0]!.strategies[0]!.strategy]],
    );
    await expect(runner.one(whitelist)).rejects.toThrow(
      `whitelisting a strategy failed: reverted with OwnableUnauthorizedAccount(${anvil.accounts[7]!.address})`,
    );

    // A wrong AVSDirectory (the StrategyManager): the ServiceManager's initializer reverts when
    // it sets the metadata URI there.
    const { publicClient, walletClient } = clientsFor(anvil);
    const error = await deployAvs({
      publicClient,
      walletClient,
      config: {
        metadataUri: "https://avs.example/metadata.json",
        restaking: {
          kind: "external",
          delegationManager: live.restaking.delegationManager,
          avsDirectory: live.restaking.strategyManager!,
        },
        quorums: [
          {
            minimumStake: 0n,
            operatorSetParams: live.quorums[0]!.operatorSetParams,
            strategies: [{ strategy: live.quorums[0]!.strategies[0]!.strategy, multiplier: 10n ** 18n }],
          },
        ],
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployStepError);
    expect((error as DeployStepError).step).toBe("upgrading and initializing ServiceManager proxy");
    expect((error as Error).message).toMatch(
      /^upgrading and initializing ServiceManager proxy failed: .*revert/i,
    );
  });

  it("checks an external DelegationManager before deploying anything", async () => {
    const { publicClient, walletClient } = clientsFor(anvil);
    const nonce = await publicClient.getTransactionCount({ address: anvil.accounts[0]!.address });
    const nowhere = anvil.accounts[9]!.address;
    const error = await deployAvs({
      publicClient,
      walletClient,
      config: {
        restaking: { kind: "external", delegationManager: nowhere, avsDirectory: nowhere },
        quorums: [
          {
            minimumStake: 0n,
            operatorSetParams: { maxOperatorCount: 1, kickBIPsOfOperatorStake: 0, kickBIPsOfTotalStake: 0 },
            strategies: [{ strategy: nowhere, multiplier: 1n }],
          },
        ],
      },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `checking the external DelegationManager failed: no contract at ${nowhere} on this chain`,
    );
    expect(await publicClient.getTransactionCount({ address: anvil.accounts[0]!.address })).toBe(nonce);
  });

  it("replaces the record of a restarted chain as stale, saying why", async () => {
    await anvil.stop();
    anvil = await startAnvil();
    const { publicClient, walletClient } = clientsFor(anvil);
    const { lines, log } = collector();
    const result = await deployAndRecord({ publicClient, walletClient, deploymentsDir: dir, log });
    expect(result.previous).toBe("stale");
    expect(lines[0]).toMatch(
      /31337\.json is stale \(\d+ of \d+ recorded contracts have no code on this chain/,
    );
    expect((await loadDeployment(31337, { dir })).deployedAt.blockHash).toBe(
      result.deployment.deployedAt.blockHash,
    );
  });
});
