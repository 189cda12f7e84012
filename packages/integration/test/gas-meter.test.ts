// The benchmark's gas meter must measure what a caller really pays: compared here with the same
// view sent as a mined transaction, and on a reverting call.
import { taskManagerAbi } from "@avskit/bindings";
import { encodeFunctionData } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCheckInput,
  calldataGas,
  createTask,
  E18,
  installGasMeter,
  MeasuredCallRevertedError,
  measureCallGas,
  quorumNumbersBytes,
  registerOperators,
  signAll,
  startTestAvs,
  strategyOf,
  type TestAvs,
  taskResponseDigest,
} from "../src/index.js";

let avs: TestAvs;

beforeAll(async () => {
  avs = await startTestAvs();
  await installGasMeter(avs);
});

afterAll(async () => {
  await avs?.stop();
});

describe("gas meter", () => {
  it("agrees with a mined transaction's execution gas, plus the cold call it makes", async () => {
    const operators = await registerOperators(
      avs,
      [1n, 2n, 3n].map((n) => ({
        quorums: [0],
        deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: n * E18 }],
      })),
    );
    const created = await createTask(avs, { a: 1n, b: 2n, thresholdPercentage: 50, quorums: [0] });
    await avs.mine(1);
    const msgHash = taskResponseDigest({ referenceTaskIndex: created.taskIndex, sum: 3n });
    const input = await buildCheckInput(avs, {
      quorums: [0],
      referenceBlock: created.task.taskCreatedBlock,
      msgHash,
      signatures: signAll(operators.slice(1), msgHash),
    });
    const data = encodeFunctionData({
      abi: taskManagerAbi,
      functionName: "checkSignatures",
      args: [msgHash, quorumNumbersBytes([0]), created.task.taskCreatedBlock, input.params],
    });
    const target = avs.deployment.contracts.taskManager.proxy;
    const metered = await measureCallGas(avs, target, data);

    // The same view as a transaction: gasUsed = 21,000 + calldata + execution (the target of a
    // transaction is warm, so no 2,600 cold-access charge).
    const request = await avs.deployer.signTransaction({
      type: "eip1559",
      chainId: avs.chainId,
      nonce: await avs.client.getTransactionCount({ address: avs.deployer.address, blockTag: "pending" }),
      to: target,
      data,
      gas: 2_000_000n,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    const txHash = await avs.client.sendRawTransaction({ serializedTransaction: request });
    avs.sender.resync(avs.deployer.address);
    const receipt = await avs.client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 20 });
    expect(receipt.status).toBe("success");
    const execution = receipt.gasUsed - 21_000n - calldataGas(data);
    const difference = metered - 2_600n - execution;
    // The meter's own stack work around the CALL is a few dozen gas.
    expect(difference).toBeGreaterThanOrEqual(0n);
    expect(difference).toBeLessThan(100n);
  });

  it("reports a revert of the measured call with the contract's error name", async () => {
    const data = encodeFunctionData({
      abi: taskManagerAbi,
      functionName: "checkSignatures",
      args: [
        `0x${"00".repeat(32)}`,
        "0x",
        1,
        {
          nonSignerQuorumBitmapIndices: [],
          nonSignerPubkeys: [],
          quorumApks: [],
          apkG2: { X: [0n, 0n], Y: [0n, 0n] },
          sigma: { X: 0n, Y: 0n },
          quorumApkIndices: [],
          totalStakeIndices: [],
          nonSignerStakeIndices: [],
          hashHint: { nonResidueRoots: [], y: 0n, yRoot: 0n },
        },
      ],
    });
    const error = await measureCallGas(avs, avs.deployment.contracts.taskManager.proxy, data).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MeasuredCallRevertedError);
    expect((error as MeasuredCallRevertedError).errorName).toBe("EmptyQuorumNumbers");
  });
});
