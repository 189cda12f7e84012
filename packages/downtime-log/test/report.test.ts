import { downtimeEjectorAbi } from "@avskit/bindings";
import { deployDowntimeEjector, startTestAvs, type TestAvs } from "@avskit/integration";
import { afterAll, beforeAll, expect, it } from "vitest";
import { reportDigest } from "../src/index.js";

/** The report the replicas sign is the one the contract checks: same digest, byte for byte. */
let avs: TestAvs;
beforeAll(async () => {
  avs = await startTestAvs();
}, 120_000);
afterAll(async () => {
  await avs?.stop();
});

it("reportDigest equals DowntimeEjector.reportHash on chain", async () => {
  const ejector = await deployDowntimeEjector(avs);
  const report = {
    chainId: avs.chainId,
    ejector,
    operator: "0x1234567890AbcdEF1234567890aBcdef12345678" as const,
    epoch: 493_921,
    downtimeMs: 612_345,
    asOfIndex: 77,
    referenceBlock: 9,
  };
  const onChain = await avs.client.readContract({
    address: ejector,
    abi: downtimeEjectorAbi,
    functionName: "reportHash",
    args: [
      {
        operator: report.operator,
        epoch: BigInt(report.epoch),
        downtimeMs: BigInt(report.downtimeMs),
        asOfIndex: BigInt(report.asOfIndex),
        referenceBlock: report.referenceBlock,
      },
    ],
  });
  expect(reportDigest(report)).toBe(onChain);
  // Any field changed is another digest (what makes a tampered report fail on chain).
  expect(reportDigest({ ...report, downtimeMs: report.downtimeMs + 1 })).not.toBe(onChain);
});
