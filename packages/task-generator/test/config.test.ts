import { ConfigError } from "@avskit/runtime";
import { describe, expect, it } from "vitest";
import {
  MAX_OPERAND_LIMIT,
  randomOperand,
  resolveTaskGeneratorConfig,
  runTaskGeneratorCli,
} from "../src/index.js";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("task generator config", () => {
  it("has the documented defaults", () => {
    const config = resolveTaskGeneratorConfig();
    expect(config.interval).toBe(20_000);
    expect(config.thresholdPercentage).toBe(67);
    expect(config.quorums).toBeUndefined();
    expect(config.maxOperand).toBe(1_000_000_000n);
    expect(config.maxTasks).toBeUndefined();
    expect(config.rpcUrl).toBe("http://127.0.0.1:8545");
  });

  it("parses durations, quorum lists (sorted) and big operand bounds", () => {
    const config = resolveTaskGeneratorConfig({
      interval: "1m30s",
      quorums: "1, 0",
      maxOperand: MAX_OPERAND_LIMIT.toString(),
      thresholdPercentage: "100",
      maxTasks: "3",
    });
    expect(config.interval).toBe(90_000);
    expect(config.quorums).toEqual([0, 1]);
    expect(config.maxOperand).toBe(MAX_OPERAND_LIMIT);
    expect(config.thresholdPercentage).toBe(100);
    expect(config.maxTasks).toBe(3);
  });

  it.each([
    ["thresholdPercentage", "0", "--threshold-percentage", "must be ≥ 1"],
    ["thresholdPercentage", "101", "--threshold-percentage", "must be ≤ 100"],
    ["thresholdPercentage", "50.5", "--threshold-percentage", "whole number"],
    ["interval", "0", "--interval", "longer than 0"],
    ["interval", "soon", "--interval", "not a duration"],
    ["quorums", "0,0", "--quorums", "twice"],
    ["quorums", "192", "--quorums", "must be ≤ 191"],
    ["maxOperand", (1n << 255n).toString(), "--max-operand", "2^255 - 1"],
    ["maxOperand", "0", "--max-operand", "between 1 and"],
    ["maxOperand", "-5", "--max-operand", "whole number"],
    ["maxTasks", "0", "--max-tasks", "must be ≥ 1"],
    ["taskManagerAddr", "0x1234", "--task-manager-addr", "20-byte address"],
    ["rpcUrl", "localhost", "--rpc-url", "must be a URL"],
    ["metricsAddr", "9091", "--metrics-addr", "not host:port (example: 127.0.0.1:9090), or none"],
  ])("refuses %s=%s naming %s", (key, value, flag, problem) => {
    const error = configError(() => resolveTaskGeneratorConfig({ [key]: value }));
    expect(error.flag).toBe(flag);
    expect(error.message).toContain(flag);
    expect(error.message).toContain(problem);
  });

  it("names the env var when the bad value came from the environment", () => {
    const error = configError(() =>
      resolveTaskGeneratorConfig({}, { AVSKIT_TASK_GENERATOR_THRESHOLD_PERCENTAGE: "250" }),
    );
    expect(error.message).toContain(
      "--threshold-percentage (env AVSKIT_TASK_GENERATOR_THRESHOLD_PERCENTAGE)",
    );
  });

  it("the CLI exits 2 and names the flag on stderr", async () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await runTaskGeneratorCli(["--threshold-percentage", "0"], {}, false);
      expect(code).toBe(2);
    } finally {
      process.stderr.write = original;
    }
    expect(written.join("")).toContain("invalid --threshold-percentage");
  });
});

describe("randomOperand", () => {
  it("stays within 0..max, including tiny and huge bounds", () => {
    for (let i = 0; i < 200; i++) expect(randomOperand(1n)).toBeLessThanOrEqual(1n);
    for (let i = 0; i < 200; i++) {
      const value = randomOperand(MAX_OPERAND_LIMIT);
      expect(value).toBeGreaterThanOrEqual(0n);
      expect(value + value).toBeLessThan(1n << 256n);
    }
    expect(randomOperand(0n)).toBe(0n);
  });

  it("covers the whole range roughly evenly (not biased to the low values)", () => {
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[Number(randomOperand(5n))]! += 1;
    // Expected 1000 each; 5 sigma ≈ 150.
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
