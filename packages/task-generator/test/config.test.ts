import { runMain } from "@avskit/integration";
import { ConfigError } from "@avskit/runtime";
import { describe, expect, it } from "vitest";
import {
  MAX_OPERAND_LIMIT,
  randomOperand,
  type TaskGeneratorConfigInput,
  taskGeneratorService,
} from "../src/index.js";

const resolveTaskGeneratorConfig = (values?: TaskGeneratorConfigInput, env?: NodeJS.ProcessEnv) =>
  taskGeneratorService.resolveConfig(values, env);

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
    expect(config.txTimeout).toBe(60_000);
    expect(config.pollInterval).toBe(500);
    expect(config.metricsAddr).toEqual({ host: "127.0.0.1", port: 9091 });
    expect(config.logLevel).toBe("info");
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
    const run = await runMain(taskGeneratorService, ["--threshold-percentage", "0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("avskit-task-generator: invalid --threshold-percentage");
  });

  it("--help lists every option with its env var, the kit's options included, and exits 0", async () => {
    const run = await runMain(taskGeneratorService, ["--help"]);
    expect(run.code).toBe(0);
    // commander wraps lines at the terminal's width: compare with white space folded.
    const help = run.stdout.replace(/\s+/g, " ");
    for (const text of [
      "--interval <duration>",
      "env AVSKIT_TASK_GENERATOR_INTERVAL",
      "--max-tasks <n>",
      "env AVSKIT_TASK_GENERATOR_ECDSA_PRIVATE_KEY",
      "--metrics-addr <host:port>",
      "default 127.0.0.1:9091",
      "env AVSKIT_TASK_GENERATOR_LOG_LEVEL",
      "--config <file>",
    ]) {
      expect(help).toContain(text);
    }
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
