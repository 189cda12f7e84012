import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkQuorums,
  DEFAULT_QUORUMS,
  loadQuorumFile,
  parseQuorumFile,
  type QuorumConfig,
} from "../src/config.js";
import { InvalidDeployConfigError } from "../src/errors.js";

const STRATEGY = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707";

function issues(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDeployConfigError);
    return (error as InvalidDeployConfigError).issues;
  }
  throw new Error("expected an InvalidDeployConfigError");
}

describe("quorum file", () => {
  it("parses strategies, applies operator-set defaults, keeps amounts exact", () => {
    const quorums = parseQuorumFile(
      {
        quorums: [
          {
            minimumStake: "1000000000000000000",
            strategies: [{ strategy: STRATEGY, multiplier: "1000000000000000000" }],
          },
          {
            minimumStake: "0",
            operatorSetParams: { maxOperatorCount: 5 },
            strategies: [{ token: { name: "Test", symbol: "TST" }, multiplier: "1" }],
          },
        ],
      },
      "q.json",
    );
    expect(quorums[0]?.operatorSetParams).toEqual({
      maxOperatorCount: 32,
      kickBIPsOfOperatorStake: 11_000,
      kickBIPsOfTotalStake: 1_001,
    });
    expect(quorums[1]?.operatorSetParams.maxOperatorCount).toBe(5);
    expect(quorums[0]?.minimumStake).toBe(10n ** 18n);
    expect(quorums[0]?.strategies[0]).toEqual({
      strategy: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
      multiplier: 10n ** 18n,
    });
  });

  it.each([
    [{ quorums: [] }, "quorums"],
    [
      { quorums: [{ minimumStake: "1e18", strategies: [{ strategy: STRATEGY, multiplier: "1" }] }] },
      "quorums[0].minimumStake",
    ],
    [{ quorums: [{ minimumStake: "1", strategies: [] }] }, "quorums[0].strategies"],
    [
      { quorums: [{ minimumStake: "1", strategies: [{ strategy: "0x12", multiplier: "1" }] }] },
      "quorums[0].strategies[0]",
    ],
    [
      { quorums: [{ minimumStake: "1", strategies: [{ strategy: STRATEGY, multiplier: "0" }] }] },
      "quorums[0].strategies[0]",
    ],
    [
      {
        quorums: [
          {
            minimumStake: "1",
            operatorSetParams: { maxOperatorCount: 0 },
            strategies: [{ strategy: STRATEGY, multiplier: "1" }],
          },
        ],
      },
      "quorums[0].operatorSetParams.maxOperatorCount",
    ],
    [
      { quorums: [{ minimumStake: "1", strategies: [{ strategy: STRATEGY, multiplier: "1" }], extra: 1 }] },
      "quorums[0]",
    ],
  ])("names the bad field of %j", (json, path) => {
    expect(issues(() => parseQuorumFile(json, "q.json")).some((issue) => issue.startsWith(path))).toBe(true);
  });

  it("reports an unreadable or non-JSON file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avskit-quorums-"));
    await expect(loadQuorumFile(join(dir, "missing.json"))).rejects.toThrow(/cannot read the quorum file/);
    writeFileSync(join(dir, "bad.json"), "{");
    await expect(loadQuorumFile(join(dir, "bad.json"))).rejects.toThrow(/not JSON/);
  });
});

describe("checkQuorums", () => {
  it("accepts the defaults for the stand-in", () => {
    expect(() => checkQuorums(DEFAULT_QUORUMS, { kind: "stand-in" }, "defaults")).not.toThrow();
    expect(DEFAULT_QUORUMS).toHaveLength(2);
    expect(DEFAULT_QUORUMS[0]?.minimumStake).not.toBe(DEFAULT_QUORUMS[1]?.minimumStake);
  });

  it("wants existing strategies with an external DelegationManager, and tokens with the stand-in", () => {
    const external = { kind: "external", delegationManager: STRATEGY, avsDirectory: STRATEGY } as const;
    expect(issues(() => checkQuorums(DEFAULT_QUORUMS, external, "x"))[0]).toMatch(
      /quorums\[0\]\.strategies\[0\]: with an external DelegationManager, give an existing "strategy" address/,
    );
    const byAddress: QuorumConfig[] = [
      {
        minimumStake: 0n,
        operatorSetParams: DEFAULT_QUORUMS[0]!.operatorSetParams,
        strategies: [{ strategy: STRATEGY, multiplier: 1n }],
      },
    ];
    expect(issues(() => checkQuorums(byAddress, { kind: "stand-in" }, "x"))[0]).toMatch(
      /creates its strategies/,
    );
  });

  it("refuses a strategy listed twice in one quorum", () => {
    const quorum: QuorumConfig = {
      minimumStake: 0n,
      operatorSetParams: DEFAULT_QUORUMS[0]!.operatorSetParams,
      strategies: [
        { strategy: STRATEGY, multiplier: 1n },
        { strategy: STRATEGY.toUpperCase().replace("0X", "0x") as `0x${string}`, multiplier: 2n },
      ],
    };
    const external = { kind: "external", delegationManager: STRATEGY, avsDirectory: STRATEGY } as const;
    expect(issues(() => checkQuorums([quorum], external, "x"))).toEqual([
      "quorums[0].strategies[1]: duplicate strategy in the same quorum",
    ]);
  });
});
