import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type AnvilInstance, startAnvil } from "../src/anvil.js";
import { AnvilStartError, InvalidDevnetOptionError } from "../src/errors.js";

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const started: AnvilInstance[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((instance) => instance.stop()));
});

describe("startAnvil", () => {
  it("starts on 127.0.0.1 with a free port, answers JSON-RPC, and stops", async () => {
    const anvil = await startAnvil();
    started.push(anvil);
    expect(anvil.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(anvil.port).toBeGreaterThan(0);
    expect(anvil.chainId).toBe(31337);
    expect(await rpc(anvil.rpcUrl, "eth_chainId")).toBe("0x7a69");
    expect(anvil.accounts).toHaveLength(10);
    expect(anvil.accounts[0]?.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    await anvil.stop();
    expect(isAlive(anvil.pid)).toBe(false);
    await expect(rpc(anvil.rpcUrl, "eth_chainId")).rejects.toThrow();
    await anvil.stop(); // idempotent
  });

  it("mines on an interval with blockTime, and forks another chain over JSON-RPC", async () => {
    const upstream = await startAnvil({ blockTime: 0.2, chainId: 4242, accounts: 2 });
    started.push(upstream);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const upstreamBlock = BigInt((await rpc(upstream.rpcUrl, "eth_blockNumber")) as string);
    expect(upstreamBlock).toBeGreaterThanOrEqual(2n);

    const fork = await startAnvil({ forkUrl: upstream.rpcUrl, forkBlockNumber: 1n });
    started.push(fork);
    expect(fork.chainId).toBe(4242);
    expect(BigInt((await rpc(fork.rpcUrl, "eth_blockNumber")) as string)).toBe(1n);
  });

  it("reports a taken port with anvil's output", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const error = await startAnvil({ port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnvilStartError);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} is taken`));
    } finally {
      server.close();
    }
  });

  it("rejects bad options before spawning anything", async () => {
    await expect(startAnvil({ port: 70_000 })).rejects.toBeInstanceOf(InvalidDevnetOptionError);
    await expect(startAnvil({ blockTime: 0 })).rejects.toThrow(/blockTime/);
    await expect(startAnvil({ forkBlockNumber: 5n })).rejects.toThrow(/needs forkUrl/);
    await expect(startAnvil({ forkUrl: "127.0.0.1:8545" })).rejects.toThrow(/forkUrl/);
  });
});
