import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDeployment } from "@avskit/bindings";
import { afterAll, describe, expect, it } from "vitest";
import { type AnvilInstance, startAnvil } from "../src/anvil.js";
import { tempDir } from "./support.js";

// These run the built CLIs (dist/), as `npm run chain` / `npm run deploy` do.
const here = dirname(fileURLToPath(import.meta.url));
const CHAIN_CLI = join(here, "..", "dist", "src", "chain-cli.js");
const DEPLOY_CLI = join(here, "..", "..", "deploy", "dist", "src", "cli.js");

interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

const spawned: Spawned[] = [];
afterAll(() => {
  for (const { child } of spawned) if (child.exitCode === null) child.kill("SIGKILL");
});

async function startChainCli(dir: string): Promise<{ cli: Spawned; rpcUrl: string; anvilPid: number }> {
  const cli = run(CHAIN_CLI, ["--port", "0", "--deployments-dir", dir]);
  spawned.push(cli);
  await waitFor(
    () => cli.stdout().includes("Ctrl-C to stop") || cli.child.exitCode !== null,
    "the chain CLI",
  );
  const rpcUrl = /RPC (http:\/\/127\.0\.0\.1:\d+) \(chain 31337\) is up/.exec(cli.stdout())?.[1];
  const anvilPid = Number(/anvil listening on .*pid (\d+)\)/.exec(cli.stderr())?.[1]);
  if (rpcUrl === undefined || !anvilPid) throw new Error(`chain CLI did not start:\n${cli.stderr()}`);
  return { cli, rpcUrl, anvilPid };
}

describe("avskit-chain", () => {
  it("starts anvil on 127.0.0.1, deploys, prints the addresses, and stops cleanly on SIGINT", async () => {
    const dir = tempDir("chain-cli");
    // A record left by an older version: a fresh chain replaces it instead of refusing.
    writeFileSync(join(dir, "31337.json"), '{"format": "avskit-deployment-0"}');
    const { cli, rpcUrl, anvilPid } = await startChainCli(dir);
    expect(cli.stderr()).toContain("which is not a valid deployments file");
    const deployment = await loadDeployment(31337, { dir });
    const out = cli.stdout();
    expect(out).toContain(`recorded in ${join(dir, "31337.json")}`);
    expect(out).toMatch(new RegExp(`taskManager +${deployment.contracts.taskManager.proxy}`));
    expect(out).toMatch(
      new RegExp(`delegationManager \\(stand-in\\) +${deployment.restaking.delegationManager}`),
    );
    expect(out).toMatch(/taskGenerator +0x70997970C51812dc3A010C7d01b50e0d17dc79C8 +key 0x59c6/);
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getCode",
        params: [deployment.contracts.taskManager.proxy, "latest"],
      }),
    });
    expect(((await response.json()) as { result: string }).result.length).toBeGreaterThan(100);

    cli.child.kill("SIGINT");
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toContain("SIGINT: stopping anvil");
    expect(cli.stderr()).toContain("[chain] stopped");
    expect(isAlive(anvilPid)).toBe(false);
  });

  it.runIf(process.platform === "linux")("takes anvil down with it when killed outright", async () => {
    const { cli, anvilPid } = await startChainCli(tempDir("chain-kill"));
    cli.child.kill("SIGKILL");
    await cli.exit;
    expect(await eventually(() => !isAlive(anvilPid))).toBe(true);
  });

  it("explains a taken port", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const cli = run(CHAIN_CLI, ["--port", String(port), "--deployments-dir", tempDir("chain-port")]);
      spawned.push(cli);
      expect((await cli.exit).code).toBe(1);
      expect(cli.stderr()).toContain(`port ${port} is taken`);
    } finally {
      server.close();
    }
  });
});

describe("avskit-deploy", () => {
  let anvil: AnvilInstance | undefined;
  afterAll(async () => {
    await anvil?.stop();
  });

  it("deploys with the key from the environment, refuses a second time, and redeploys on request", async () => {
    anvil = await startAnvil();
    const dir = tempDir("deploy-cli");
    const env = { AVSKIT_DEPLOYER_PRIVATE_KEY: anvil.accounts[0]!.privateKey, AVSKIT_RPC_URL: anvil.rpcUrl };
    const args = ["--deployments-dir", dir, "--chain-id", "31337"];

    const first = run(DEPLOY_CLI, args, env);
    expect((await first.exit).code, first.stderr()).toBe(0);
    expect(first.stdout()).toContain(`recorded in ${join(dir, "31337.json")}`);
    expect(first.stderr()).toMatch(/\[deploy\] deploying RegistryCoordinator implementation -> 0x/);
    expect(first.stderr() + first.stdout()).not.toContain(anvil.accounts[0]!.privateKey.slice(2));
    const deployed = await loadDeployment(31337, { dir });

    const second = run(DEPLOY_CLI, args, env);
    expect((await second.exit).code).toBe(1);
    expect(second.stderr()).toMatch(
      /error: chain 31337 already has a live deployment recorded in .*--redeploy/,
    );

    const third = run(DEPLOY_CLI, [...args, "--redeploy"], env);
    expect((await third.exit).code, third.stderr()).toBe(0);
    expect((await loadDeployment(31337, { dir })).contracts.taskManager.proxy).not.toBe(
      deployed.contracts.taskManager.proxy,
    );
  });
});
