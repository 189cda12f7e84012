import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningCli, runCli, waitFor } from "@avskit/integration";
import { afterEach, describe, expect, it } from "vitest";

// The built bin, as `npm start` runs it (`npm test` builds before testing).
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli.js");

/** avskit-local as a process, with the environment of this one (as a developer's shell has). */
function runLocal(args: readonly string[], options: { detached?: boolean } = {}): RunningCli {
  return runCli(CLI, args, {}, { inheritEnv: true, ...options });
}

/** Direct children of `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function lastLineJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

// anvil's well-known dev keys of the deployer, task generator, aggregator, challenger and
// avs-sync accounts: handed to the services through their environment, never printed.
const ROLE_KEYS = [
  "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];

describe("avskit-local as a process", () => {
  const dirs: string[] = [];
  const runs: RunningCli[] = [];
  const baseArgs = () => {
    const dir = mkdtempSync(join(tmpdir(), "avskit-local-cli-"));
    dirs.push(dir);
    return {
      dir,
      args: [
        ["--port", "0"],
        ["--aggregator-port", "0"],
        ["--dashboard-port", "0"],
        ["--devnet-dir", dir],
        ["--task-interval", "2s"],
      ].flat(),
    };
  };

  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill("SIGKILL");
        await run.ended;
      }
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("--exit-after-tasks 2 exits 0 and ends with one JSON summary line", async () => {
    const { dir, args } = baseArgs();
    const run = runLocal([...args, "--exit-after-tasks", "2", "--drift-interval", "0"]);
    runs.push(run);
    const { code, signal } = await run.ended;
    expect({ code, signal, stderr: run.stderr() }).toEqual({ code: 0, signal: null, stderr: "" });

    const summary = lastLineJson(run.stdout());
    expect(summary.tasks_responded).toBeGreaterThanOrEqual(2);
    expect(summary.tasks_wrong).toBe(0);
    expect(typeof summary.median_latency_ms).toBe("number");
    expect(summary.median_latency_ms as number).toBeGreaterThan(0);
    expect(summary.operators).toBe(4);
    // A sequencer node per operator: the view names the leader and each node's finalized index,
    // and at least the first batch was final before the stop.
    expect(run.stdout()).toMatch(
      /^sequencer leader operator-\d \(term \d+\); finalized operator-1 \d+ · operator-2 \d+ · operator-3 \d+ · operator-4 \d+$/m,
    );
    expect(summary.sequencer_batches_sent as number).toBeGreaterThanOrEqual(1);
    expect(summary.sequencer_finalized as number).toBeGreaterThanOrEqual(1);

    const out = run.stdout();
    expect(out).toMatch(/^task 0 {4}\d+ \+ \d+ = \d+ ✓ {3}responded after \d+ blocks? \/ \d+\.\d\d s$/m);
    expect(out).toMatch(/^ {10}q0 \d\/3 operators, [\d.]+% stake {3}q1 \d\/3 operators, [\d.]+% stake/m);
    expect(out).toContain("stopping  2 tasks responded (--exit-after-tasks 2)");
    for (const key of ROLE_KEYS) expect(out.toLowerCase()).not.toContain(key);
    // Fresh keys for 4 operators (BLS + ECDSA each) and one JSON log per service.
    expect(readdirSync(join(dir, "keys")).filter((f) => f.endsWith(".key.json"))).toHaveLength(8);
    const logs = readdirSync(join(dir, "logs")).sort();
    expect(logs).toEqual(
      [
        "aggregator",
        "anvil",
        "avs-sync",
        "challenger",
        "downtime-1",
        "downtime-2",
        "downtime-3",
        "downtime-4",
        "operator-1",
        "operator-2",
        "operator-3",
        "operator-4",
        "sequencer-1",
        "sequencer-2",
        "sequencer-3",
        "sequencer-4",
        "task-generator",
      ].map((name) => `${name}.log`),
    );
    const aggregatorLog = readFileSync(join(dir, "logs", "aggregator.log"), "utf8")
      .trim()
      .split("\n");
    expect(() => aggregatorLog.map((line) => JSON.parse(line))).not.toThrow();
  });

  it("Ctrl-C to its whole process group with a response in flight: the task lands or is named, every process is gone, exit 0 within seconds", async () => {
    const { dir, args } = baseArgs();
    // Its own process group, as a terminal runs a foreground command: the signal below goes to
    // the group, as Ctrl-C does. anvil and the services run in groups of their own.
    const run = runLocal([...args, "--operators", "2", "--drift-interval", "0"], { detached: true });
    runs.push(run);
    await waitFor("ready", () => (/^ready /m.test(run.stdout()) ? true : undefined), 120_000);
    const pid = run.child.pid!;
    const children = childrenOf(pid);
    // anvil + aggregator + 2 operators + challenger + avs-sync + 2 sequencer nodes + 2 downtime
    // logs + task generator.
    expect(children).toHaveLength(11);
    const printed = [...run.stdout().matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(printed.sort()).toEqual([...children].sort());

    // The moment the aggregator has sent a respondToTask and before it is mined (a block a second).
    const aggregatorLog = join(dir, "logs", "aggregator.log");
    const sent = await waitFor(
      "a respondToTask in flight",
      () => {
        const lines = existsSync(aggregatorLog) ? readFileSync(aggregatorLog, "utf8").trim().split("\n") : [];
        const line = lines
          .map((l) => JSON.parse(l) as { msg?: string; taskIndex?: number })
          .find((l) => l.msg === "respondToTask sent");
        return line?.taskIndex;
      },
      60_000,
      10,
    );
    const interruptedAt = Date.now();
    process.kill(-pid, "SIGINT");
    const { code, signal } = await run.ended;
    const stopMs = Date.now() - interruptedAt;
    expect({ code, signal, stderr: run.stderr() }).toEqual({ code: 0, signal: null, stderr: "" });
    // No grace timer outlives the processes, nothing waits on a receipt that cannot come.
    expect(stopMs).toBeLessThan(10_000);
    expect(run.stdout()).toContain("stopped   every service and anvil");
    const summary = lastLineJson(run.stdout());
    const landed = new RegExp(`^task ${sent} .* ✓ {3}responded after`, "m").test(run.stdout());
    const named = new RegExp(`still open when stopped: .*task ${sent}\\b`).test(run.stdout());
    expect(landed || named).toBe(true);
    expect(summary.tasks_created).toBe(
      (summary.tasks_responded as number) +
        (summary.tasks_expired as number) +
        (summary.tasks_open as number),
    );
    for (const child of children) {
      await waitFor(
        `pid ${child} to be gone`,
        () => (existsSync(`/proc/${child}`) ? undefined : true),
        5_000,
      );
    }
  });

  it("a service that dies is named, everything else is stopped, and the exit code is 1", async () => {
    const { args } = baseArgs();
    // The task AVS alone (--no-sequencer): the supervision under test is the same for every service.
    const run = runLocal([...args, "--operators", "1", "--drift-interval", "0", "--no-sequencer"]);
    runs.push(run);
    await waitFor("ready", () => (/^ready /m.test(run.stdout()) ? true : undefined), 120_000);
    expect(run.stdout()).not.toMatch(/^ +(sequencer|downtime)-1 +pid/m);
    const children = childrenOf(run.child.pid!);
    const challengerPid = Number(/challenger +pid (\d+)/.exec(run.stdout())?.[1]);
    expect(children).toContain(challengerPid);

    process.kill(challengerPid, "SIGKILL");
    const { code } = await run.ended;
    expect(code).toBe(1);
    expect(run.stderr()).toContain(
      `✗ challenger (pid ${challengerPid}) was killed by SIGKILL from outside, unexpectedly`,
    );
    expect(run.stderr()).toMatch(/last lines of .*challenger\.log/);
    expect(run.stdout()).toContain("stopping  because challenger died");
    for (const child of children) {
      await waitFor(
        `pid ${child} to be gone`,
        () => (existsSync(`/proc/${child}`) ? undefined : true),
        5_000,
      );
    }
  });
});
