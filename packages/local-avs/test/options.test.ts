import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  defaultOperatorPlan,
  formatPercent,
  formatTokens,
  localAvsCommand,
  median,
  resolveLocalAvsConfig,
  runLocalAvs,
  TOKEN,
} from "../src/index.js";

function configFrom(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = localAvsCommand().exitOverride();
  command.parse(argv, { from: "user" });
  return resolveLocalAvsConfig(command, env);
}

describe("options", () => {
  it("has the documented defaults", () => {
    const config = configFrom([]);
    expect(config).toMatchObject({
      operators: 4,
      taskInterval: 5_000,
      port: 8545,
      aggregatorPort: 8090,
      blockTime: 1,
      exitAfterTasks: undefined,
      syncInterval: 15_000,
      driftInterval: 20_000,
    });
    expect(config.devnetDir.endsWith(".devnet")).toBe(true);
    expect(config).toMatchObject({ dashboard: true, dashboardPort: 8091 });
  });

  it("forks the chain at --fork-url (AVSKIT_LOCAL_FORK_URL), and refuses a URL that is not one", () => {
    expect(configFrom([]).forkUrl).toBeUndefined();
    expect(configFrom(["--fork-url", "http://127.0.0.1:8545"]).forkUrl).toBe("http://127.0.0.1:8545");
    expect(configFrom([], { AVSKIT_LOCAL_FORK_URL: "https://rpc.example/v2/key" }).forkUrl).toBe(
      "https://rpc.example/v2/key",
    );
    expect(() => configFrom(["--fork-url", "mainnet"])).toThrow(/--fork-url \(env AVSKIT_LOCAL_FORK_URL\)/);
  });

  it("runs the sequencer by default; --no-sequencer or AVSKIT_LOCAL_SEQUENCER=false runs the task AVS alone", () => {
    expect(configFrom([]).sequencer).toBe(true);
    expect(configFrom(["--no-sequencer"]).sequencer).toBe(false);
    expect(configFrom([], { AVSKIT_LOCAL_SEQUENCER: "false" }).sequencer).toBe(false);
    expect(configFrom(["--sequencer"], { AVSKIT_LOCAL_SEQUENCER: "false" }).sequencer).toBe(true);
  });

  it("turns the dashboard off with --no-dashboard or AVSKIT_LOCAL_DASHBOARD=false, and moves it with its port", () => {
    expect(configFrom(["--no-dashboard"]).dashboard).toBe(false);
    expect(configFrom([], { AVSKIT_LOCAL_DASHBOARD: "false" }).dashboard).toBe(false);
    expect(configFrom(["--dashboard"], { AVSKIT_LOCAL_DASHBOARD: "false" }).dashboard).toBe(true);
    expect(configFrom([], { AVSKIT_LOCAL_DASHBOARD_PORT: "0" }).dashboardPort).toBe(0);
    expect(configFrom(["--dashboard-port", "9000"]).dashboardPort).toBe(9000);
  });

  it("takes AVSKIT_LOCAL_* variables, and flags over them", () => {
    expect(configFrom([], { AVSKIT_LOCAL_OPERATORS: "6", AVSKIT_LOCAL_TASK_INTERVAL: "2s" })).toMatchObject({
      operators: 6,
      taskInterval: 2_000,
    });
    expect(configFrom(["--operators", "3"], { AVSKIT_LOCAL_OPERATORS: "6" }).operators).toBe(3);
  });

  it.each([
    [["--operators", "0"], /invalid --operators \(env AVSKIT_LOCAL_OPERATORS\).*≥ 1/],
    [["--operators", "two"], /invalid --operators/],
    [["--task-interval", "0"], /invalid --task-interval.*longer than 0/],
    [["--port", "70000"], /invalid --port.*≤ 65535/],
    [["--block-time", "-1"], /invalid --block-time/],
    [["--exit-after-tasks", "0"], /invalid --exit-after-tasks/],
    [["--threshold-percentage", "101"], /invalid --threshold-percentage/],
    [["--service-log-level", "loud"], /invalid --service-log-level/],
    [["--dashboard-port", "web"], /invalid --dashboard-port \(env AVSKIT_LOCAL_DASHBOARD_PORT\)/],
    [["--dashboard", "maybe"], /invalid --dashboard \(env AVSKIT_LOCAL_DASHBOARD\)/],
  ])("refuses %j with an error naming the flag and its variable", (argv, message) => {
    expect(() => configFrom(argv)).toThrow(message);
  });
});

describe("operator layout", () => {
  it("spreads 4 operators so both quorums have 3 members, 2 of them shared", () => {
    const plan = defaultOperatorPlan(4);
    expect(plan.map((p) => [p.name, p.quorums, p.deposit / TOKEN])).toEqual([
      ["operator-1", [0, 1], 100n],
      ["operator-2", [0], 200n],
      ["operator-3", [1], 300n],
      ["operator-4", [0, 1], 400n],
    ]);
    expect(defaultOperatorPlan(1)[0]!.quorums).toEqual([0, 1]);
    for (const n of [2, 5, 9]) {
      const plan = defaultOperatorPlan(n);
      expect(plan.filter((p) => p.quorums.includes(0)).length).toBeGreaterThan(0);
      expect(plan.filter((p) => p.quorums.includes(1)).length).toBeGreaterThan(0);
    }
  });
});

describe("formatting and figures", () => {
  it("formats stakes, percentages and medians", () => {
    expect(formatTokens(100n * TOKEN)).toBe("100");
    expect(formatTokens(1125n * (TOKEN / 10n))).toBe("112.5");
    expect(formatTokens(TOKEN / 100n)).toBe("0.01");
    expect(formatPercent(500n, 700n)).toBe("71.4%");
    expect(formatPercent(1n, 1n)).toBe("100%");
    expect(formatPercent(1n, 0n)).toBe("-");
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe("start-up checks", () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A port something else listens on, for the run to find taken. */
  const takePort = async (): Promise<number> => {
    server = createServer();
    return new Promise<number>((resolve) =>
      server!.listen(0, "127.0.0.1", () => resolve((server!.address() as { port: number }).port)),
    );
  };

  it("names a taken port before starting anything, and touches nothing", async () => {
    const port = await takePort();
    dir = mkdtempSync(join(tmpdir(), "avskit-local-port-"));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runLocalAvs(configFrom(["--port", String(port), "--devnet-dir", dir]), {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      stop: new AbortController().signal,
    });
    expect(code).toBe(1);
    expect(err.join("\n")).toContain(`port ${port} on 127.0.0.1 (anvil's JSON-RPC) is already in use`);
    expect(err.join("\n")).toContain("--port");
    expect(existsSync(join(dir, "logs"))).toBe(false);
    expect(existsSync(join(dir, "keys"))).toBe(false);
  });

  it("checks the aggregator's port too", async () => {
    const port = await takePort();
    dir = mkdtempSync(join(tmpdir(), "avskit-local-port-"));
    const err: string[] = [];
    const code = await runLocalAvs(
      configFrom(["--port", "0", "--aggregator-port", String(port), "--devnet-dir", dir]),
      { out: () => {}, err: (line) => err.push(line), stop: new AbortController().signal },
    );
    expect(code).toBe(1);
    expect(err.join("\n")).toContain(`port ${port} on 127.0.0.1 (the aggregator's API) is already in use`);
    expect(err.join("\n")).toContain("--aggregator-port");
  });

  it("checks the dashboard's port too, unless --no-dashboard", async () => {
    const port = await takePort();
    dir = mkdtempSync(join(tmpdir(), "avskit-local-port-"));
    const err: string[] = [];
    const code = await runLocalAvs(
      configFrom([
        "--port",
        "0",
        "--aggregator-port",
        "0",
        "--dashboard-port",
        String(port),
        "--devnet-dir",
        dir,
      ]),
      { out: () => {}, err: (line) => err.push(line), stop: new AbortController().signal },
    );
    expect(code).toBe(1);
    expect(err.join("\n")).toContain(`port ${port} on 127.0.0.1 (the dashboard) is already in use`);
    expect(err.join("\n")).toContain("--dashboard-port");
    expect(existsSync(join(dir, "logs"))).toBe(false);
  });
});
