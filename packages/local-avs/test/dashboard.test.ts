import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stakeRegistryAbi } from "@avskit/bindings";
import { type AnvilInstance, startAnvil } from "@avskit/devnet";
import { waitFor } from "@avskit/integration";
import { connectChain, type ReadClient } from "@avskit/runtime";
import { type Browser, chromium, type Page } from "playwright-core";
import { createPublicClient, createTestClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DashboardServer,
  type DashboardSnapshot,
  type DowntimeView,
  formatTokens,
  type LocalAvsReady,
  localAvsCommand,
  resolveLocalAvsConfig,
  runLocalAvs,
  type SnapshotSource,
  startDashboardServer,
} from "../src/index.js";

// Debian's chromium (apt; .ci/run installs it when missing), driven by playwright-core: no
// browser download. AVSKIT_CHROMIUM points elsewhere.
const CHROMIUM = process.env.AVSKIT_CHROMIUM ?? "/usr/bin/chromium";
// Screenshots of every run land here (git-ignored).
const OUTPUT = join(dirname(fileURLToPath(import.meta.url)), "..", "test-output");

// The default layout: quorum 0 = operators 1, 2, 4 (100/200/400), quorum 1 = 1, 3, 4 (100/300/400).
// operator-2 is the one killed: without it quorum 0 still has 500/700 = 71%, above the 67%
// threshold, so tasks keep landing while it is down.
const KILLED = "operator-2";

describe("the dashboard, in a real browser, against a running local AVS", () => {
  let dir: string;
  let upstream: AnvilInstance;
  let browser: Browser;
  let page: Page;
  let ready: LocalAvsReady;
  let client: ReadClient;
  let run: Promise<number>;
  const stop = new AbortController();
  const out: string[] = [];
  const err: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set AVSKIT_CHROMIUM)`);
    }
    mkdirSync(OUTPUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "avskit-dashboard-test-"));
    // The AVS runs on a fork (--fork-url), as against a testnet: the forked chain here is a
    // plain anvil on 127.0.0.1 (nothing else is reachable), with a few blocks of its own history.
    upstream = await startAnvil({ port: 0 });
    await createTestClient({ mode: "anvil", transport: http(upstream.rpcUrl) }).mine({ blocks: 5 });
    const command = localAvsCommand().parse(
      [
        ["--port", "0"],
        ["--aggregator-port", "0"],
        ["--dashboard-port", "0"],
        ["--devnet-dir", dir],
        ["--fork-url", upstream.rpcUrl],
        ["--task-interval", "2s"],
        ["--sync-interval", "4s"],
        ["--drift-interval", "3s"],
      ].flat(),
      { from: "user" },
    );
    const config = resolveLocalAvsConfig(command, {});
    const started = new Promise<LocalAvsReady>((resolve) => {
      run = runLocalAvs(
        config,
        { out: (line) => out.push(line), err: (line) => err.push(line), stop: stop.signal },
        { onReady: resolve, dashboardIntervalMs: 500 },
      );
    });
    // The browser starts while the devnet does.
    [browser, ready] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-dev-shm-usage"],
      }),
      Promise.race([
        started,
        run!.then((code) => {
          throw new Error(`the local AVS ended (exit ${code}) before it was ready:\n${err.join("\n")}`);
        }),
      ]),
    ]);
    client = await connectChain({ rpcUrl: ready.rpcUrl, pollingIntervalMs: 200 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(ready.dashboardUrl!);
  });

  afterAll(async () => {
    // On every run, passed or failed: what the page looked like at the end, laptop and phone.
    if (page) {
      await page.screenshot({ path: join(OUTPUT, "dashboard.png"), fullPage: true }).catch(() => undefined);
      await page.setViewportSize({ width: 390, height: 844 }).catch(() => undefined);
      await page
        .screenshot({ path: join(OUTPUT, "dashboard-phone.png"), fullPage: true })
        .catch(() => undefined);
    }
    await browser?.close();
    stop.abort();
    await run;
    await upstream?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs on the fork it was given: the upstream chain's blocks are its history", async () => {
    const host = new URL(upstream.rpcUrl).host;
    expect(out.some((line) => line.startsWith("chain") && line.includes(`forking ${host}`))).toBe(true);
    const [mine, theirs] = await Promise.all([
      client.getBlock({ blockNumber: 3n }),
      createPublicClient({ transport: http(upstream.rpcUrl) }).getBlock({ blockNumber: 3n }),
    ]);
    expect(mine.hash).toBe(theirs.hash);
    expect(ready.rpcUrl).not.toBe(upstream.rpcUrl);
  });

  it("prints the dashboard's URL at start", () => {
    expect(ready.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(out.some((line) => line.startsWith("dashboard") && line.includes(ready.dashboardUrl!))).toBe(true);
  });

  it("shows a task appear and turn responded, with its gas and latency", async () => {
    const row = page.locator("tr[data-task]").first();
    await row.waitFor({ timeout: 30_000 });
    const index = await row.getAttribute("data-task");
    const task = page.locator(`tr[data-task="${index}"]`);
    await task.and(page.locator('[data-status="responded"]')).waitFor({ timeout: 30_000 });
    expect(await task.locator('[data-field="status"]').textContent()).toContain("responded");
    // The gas comes from the respond transaction's receipt, read after the response event: it
    // may fill in a poll after the status turns.
    await task.locator('[data-field="gas"]', { hasText: /^\d{1,3}(,\d{3})+$/ }).waitFor({ timeout: 10_000 });
    expect(await task.locator('[data-field="gas"]').textContent()).toMatch(/^\d{1,3}(,\d{3})+$/);
    expect(await task.locator('[data-field="latency"]').textContent()).toMatch(
      /^\d+\.\d\d s \/ \d+ blocks?$/,
    );
    // The chart has a point per responded task.
    expect(await page.locator("#tasks svg circle").count()).toBeGreaterThan(0);
  });

  it("shows each operator's stake per quorum as the chain records it", async () => {
    const stakeRegistry = ready.chain.deployment.contracts.stakeRegistry.proxy;
    for (const op of ready.operators) {
      for (const quorum of op.quorums) {
        const cell = page.locator(`tr[data-operator="${op.name}"] [data-quorum="${quorum}"]`);
        // Stakes drift and avs-sync moves them: the page must catch up with the chain's value.
        await waitFor(
          `${op.name} q${quorum} on the page as on-chain`,
          async () => {
            const onChain = await client.readContract({
              address: stakeRegistry,
              abi: stakeRegistryAbi,
              functionName: "getCurrentStake",
              args: [op.operatorId, quorum],
            });
            const shown = await cell.getAttribute("data-on-chain", { timeout: 2_000 }).catch(() => null);
            const text = await cell
              .locator('[data-field="on-chain"]')
              .textContent({ timeout: 2_000 })
              .catch(() => "");
            return shown === onChain.toString() && text === formatTokens(onChain) ? true : undefined;
          },
          15_000,
        );
      }
    }
  });

  it("shows a killed operator unhealthy, and healthy again after a restart, with the gap", async () => {
    const health = page.locator(`tr[data-operator="${KILLED}"] [data-field="health"] [data-health]`);
    await health.and(page.locator('[data-health="up"]')).waitFor({ timeout: 10_000 });
    // The operator's machine goes away: its operator service, sequencer node and downtime log.
    const names = [
      KILLED,
      KILLED.replace("operator-", "sequencer-"),
      KILLED.replace("operator-", "downtime-"),
    ];
    const specs = names.map((name) => ready.supervisor.get(name)!.spec);
    for (const name of names) await ready.supervisor.kill(name, "SIGKILL");
    await health.and(page.locator('[data-health="down"]')).waitFor({ timeout: 10_000 });
    expect(await health.textContent()).toContain("unhealthy");
    await page.locator(`[data-service="${KILLED}"] [data-health="down"]`).waitFor({ timeout: 5_000 });
    // The devnet's downtime logs confirm it by stake and the replicas apply it: the panel shows it down.
    await page.locator('[data-downtime="ok"]').waitFor({ timeout: 30_000 });
    await page.locator(`[data-downtime-operator="${KILLED}"][data-down="true"]`).waitFor({ timeout: 40_000 });
    await page.screenshot({ path: join(OUTPUT, "dashboard-operator-down.png"), fullPage: true });

    for (const spec of specs) ready.supervisor.start(spec);
    await health.and(page.locator('[data-health="up"]')).waitFor({ timeout: 20_000 });
    const gapMs = Number(await health.locator("[data-gap-ms]").getAttribute("data-gap-ms"));
    expect(gapMs).toBeGreaterThan(0);
    expect(await health.textContent()).toMatch(/was down/);
  });

  it("is usable at phone width and by keyboard", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await phone.goto(ready.dashboardUrl!);
      await phone.locator("tr[data-task]").first().waitFor({ timeout: 10_000 });
      // Wide tables scroll inside their own region; the page itself does not scroll sideways.
      const overflow = await inPage<number>(
        phone,
        "document.documentElement.scrollWidth - window.innerWidth",
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.keyboard.press("Tab");
      expect(await inPage<string>(phone, "document.activeElement?.textContent")).toBe("Skip to tasks");
      // Every panel is a labelled region, every table has a caption.
      const unlabelled = await inPage<number>(
        phone,
        `[...document.querySelectorAll("section")].filter((s) => !s.getAttribute("aria-labelledby") && !s.getAttribute("aria-label")).length +
         [...document.querySelectorAll("table")].filter((t) => !t.querySelector("caption")).length`,
      );
      expect(unlabelled).toBe(0);
    } finally {
      await phone.close();
    }
  });

  it("refuses every method but GET with 405, on every endpoint", async () => {
    for (const path of ["", "app.js", "app.css", "api/snapshot", "api/events", "no-such-page"]) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
        const reply = await fetch(`${ready.dashboardUrl}${path}`, { method });
        await reply.body?.cancel();
        expect({ path, method, status: reply.status, allow: reply.headers.get("allow") }).toEqual({
          path,
          method,
          status: 405,
          allow: "GET",
        });
      }
    }
    const snapshot = await fetch(`${ready.dashboardUrl}api/snapshot`);
    expect(snapshot.status).toBe(200);
    expect(((await snapshot.json()) as DashboardSnapshot).version).toBe(1);
  });

  it("reconnects after the server goes away and comes back, and shows the gap", async () => {
    // A downtime log that has operator-x down: the panel shows it, as of the log's index.
    const source = fakeSource("operator-x", {
      state: "ok",
      url: "http://127.0.0.1:1",
      epoch: "3",
      asOfIndex: "42",
      operators: [{ operator: "operator-x", downEvents: 2, totalDowntimeMs: 7_500, downNow: true }],
    });
    let server = await startDashboardServer({ source, port: 0 });
    const { port } = server;
    const reconnecting = await browser.newPage();
    try {
      await reconnecting.goto(server.url);
      const connection = reconnecting.locator("[data-connection]");
      await reconnecting.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      const down = reconnecting.locator('[data-downtime-operator="operator-x"][data-down="true"]');
      expect(await down.textContent()).toMatch(/down.*2.*7\.5 s/);
      expect(await reconnecting.locator('[data-downtime="ok"]').textContent()).toContain(
        "as of log index 42",
      );
      await server.close();
      await reconnecting.locator('[data-connection="lost"]').waitFor({ timeout: 10_000 });
      server = await startDashboardServer({ source, port });
      await reconnecting.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      expect(await connection.textContent()).toMatch(/last gap: [\d.]+ (ms|s)/);
    } finally {
      await reconnecting.close();
      await server.close();
    }
  });

  it("escapes hostile values in what it renders: the page, the JSON and its error pages", async () => {
    const hostile = `<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>&amp;`;
    const source = fakeSource(hostile);
    let server: DashboardServer | undefined;
    const hostilePage = await browser.newPage();
    try {
      server = await startDashboardServer({ source, port: 0 });
      const raw = await (await fetch(`${server.url}api/snapshot`)).text();
      expect(raw).not.toMatch(/[<>]/);
      expect((JSON.parse(raw) as DashboardSnapshot).operators[0]!.name).toBe(hostile);
      const notFound = await fetch(`${server.url}${encodeURIComponent(hostile)}`);
      expect(notFound.status).toBe(404);
      const body = await notFound.text();
      expect(body).toContain("&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;");
      expect(body).not.toContain("<img");

      await hostilePage.goto(server.url);
      const row = hostilePage.locator("tr[data-operator]");
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator("th").first().textContent()).toContain(hostile);
      expect(await hostilePage.locator("#services").textContent()).toContain(hostile);
      expect(await hostilePage.locator("#downtime").textContent()).toContain(hostile);
      expect(await hostilePage.locator("img").count()).toBe(0);
      expect(await hostilePage.locator('a[href^="javascript:"]').count()).toBe(0);
      expect(await inPage<number | undefined>(hostilePage, "window.__pwned")).toBeUndefined();
    } finally {
      await hostilePage.close();
      await server?.close();
    }
  });
});

/** Evaluates an expression in the page (a string: this file is typed for Node, not the DOM). */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/** A snapshot with `text` in every free-text field a service or the chain could fill. */
function fakeSource(text: string, downtime?: DowntimeView): SnapshotSource {
  const health = { state: "down" as const, since: 0, detail: text, gaps: [] };
  const snapshot: DashboardSnapshot = {
    version: 1,
    at: Date.now(),
    startedAt: Date.now(),
    chain: { chainId: 1, rpcUrl: text, block: 1, taskManager: text, error: text },
    tasks: [
      {
        index: 0,
        a: "1",
        b: "2",
        createdBlock: 1,
        status: "responded",
        answer: text,
        nonSigners: [text],
        signingError: text,
        latencyMs: 10,
        latencyBlocks: 1,
      },
    ],
    operators: [
      { name: text, address: text, operatorId: text, quorums: [], registration: "unknown", health },
    ],
    avsSync: [],
    sequencer: {
      nodes: [{ name: text, url: text, role: "down", finalized: { [text]: text } }],
      leaderChanges: [],
    },
    downtime: downtime ?? { state: "not-running", reason: text },
    services: [{ name: text, metricsUrl: `javascript:${text}`, health }],
  };
  return { snapshot, subscribe: () => () => {} };
}
