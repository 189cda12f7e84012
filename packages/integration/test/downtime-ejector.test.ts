// The downtime log's on-chain path over real JSON-RPC (anvil): a DowntimeEjector set as the
// coordinator's ejector, a report signed with real BLS keys and its check input built the way an
// aggregator builds it; over the threshold it ejects, below it reverts with its own error, and
// the ejected operator no longer counts in a later task's signature check.
import { downtimeEjectorAbi, registryCoordinatorAbi, taskManagerAbi, withAllErrors } from "@avskit/bindings";
import { type Address, createWalletClient, type Hex, http, keccak256, toBytes } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCheckInput,
  deployDowntimeEjector,
  E18,
  registerOperators,
  signAll,
  startTestAvs,
  strategyOf,
  type TestAvs,
  type TestOperator,
} from "../src/index.js";
import { expectRevert } from "./support.js";

const abi = withAllErrors(downtimeEjectorAbi);
let avs: TestAvs;
let operators: TestOperator[];
let ejector: Address;

beforeAll(async () => {
  avs = await startTestAvs();
  const stETH = strategyOf(avs.deployment, 0);
  // Quorum 0: 10 + 20 + 30 + 40 = 100.
  operators = await registerOperators(
    avs,
    [10n, 20n, 30n, 40n].map((stake) => ({
      quorums: [0],
      deposits: [{ strategy: stETH, amount: stake * E18 }],
    })),
  );
  ejector = await deployDowntimeEjector(avs);
  await avs.mine(1);
}, 120_000);

afterAll(async () => {
  await avs?.stop();
});

async function report(subject: TestOperator, downtimeMs: bigint, signers: readonly TestOperator[]) {
  const referenceBlock = (await avs.blockNumber()) - 1;
  const epoch = await avs.client.readContract({ address: ejector, abi, functionName: "currentEpoch" });
  const value = { operator: subject.address, epoch, downtimeMs, asOfIndex: 7n, referenceBlock };
  const msgHash = (await avs.client.readContract({
    address: ejector,
    abi,
    functionName: "reportHash",
    args: [value],
  })) as Hex;
  const input = await buildCheckInput(avs, {
    quorums: [0],
    referenceBlock,
    msgHash,
    signatures: signAll(signers, msgHash),
  });
  const simulate = () =>
    avs.client.simulateContract({
      account: avs.deployer,
      address: ejector,
      abi,
      functionName: "ejectForDowntime",
      args: [value, input.params],
    });
  return { value, msgHash, simulate };
}

const status = (op: TestOperator) =>
  avs.client.readContract({
    address: avs.deployment.contracts.registryCoordinator.proxy,
    abi: registryCoordinatorAbi,
    functionName: "getOperatorStatus",
    args: [op.address],
  });

describe("DowntimeEjector on anvil", () => {
  it("below the threshold by stake it reverts, and the operator stays", async () => {
    // The second and third operators hold 20 + 30 = 50 of 100: half the stake, below 67 %.
    const { simulate } = await report(operators[0]!, 600_000n, [operators[1]!, operators[2]!]);
    const args = await expectRevert(simulate(), "InsufficientSignedStake");
    expect(args).toEqual([0, 50n * E18, 100n * E18]);
    expect(await status(operators[0]!)).toBe(1);
  });

  it("an over-threshold report ejects; replaying it reverts; later tasks do not count the operator", async () => {
    const subject = operators[0]!;
    const { simulate } = await report(subject, 600_000n, operators.slice(1));
    const { request } = await simulate();
    const wallet = createWalletClient({
      account: avs.deployer,
      chain: avs.chain,
      transport: http(avs.rpcUrl),
    });
    const receipt = await avs.client.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
    expect(receipt.status).toBe("success");
    expect(await status(subject)).toBe(2);
    await expectRevert(simulate(), "ReportAlreadyUsed");

    await avs.mine(1);
    const later = (await avs.blockNumber()) - 1;
    const task = keccak256(toBytes("a later task"));
    const input = await buildCheckInput(avs, {
      quorums: [0],
      referenceBlock: later,
      msgHash: task,
      signatures: signAll(operators.slice(1), task),
    });
    const [totals] = await avs.client.readContract({
      address: avs.deployment.contracts.taskManager.proxy,
      abi: withAllErrors(taskManagerAbi),
      functionName: "checkSignatures",
      args: [task, "0x00", later, input.params],
    });
    expect(totals.totalStakeForQuorum).toEqual([90n * E18]);
    expect(totals.signedStakeForQuorum).toEqual([90n * E18]);
  });
});
