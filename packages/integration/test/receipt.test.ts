// The runtime's abortable receipt wait against a real anvil, and against an endpoint that
// accepts connections and never answers (a hung RPC).
import { createServer, type Server, type Socket } from "node:net";
import { type AnvilInstance, startAnvil } from "@avskit/devnet";
import { connectChain, type ReadClient, ReceiptWaitAbortedError, waitForReceipt } from "@avskit/runtime";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let anvil: AnvilInstance;
let client: ReadClient;
let send: () => Promise<`0x${string}`>;
let setAutomine: (on: boolean) => Promise<void>;
let mine: () => Promise<void>;

beforeAll(async () => {
  anvil = await startAnvil({ port: 0 });
  client = await connectChain({ rpcUrl: anvil.rpcUrl, pollingIntervalMs: 20 });
  const testClient = createTestClient({ mode: "anvil", chain: client.chain, transport: http(anvil.rpcUrl) });
  const account = privateKeyToAccount(anvil.accounts[0]!.privateKey);
  const wallet = createWalletClient({ account, chain: client.chain, transport: http(anvil.rpcUrl) });
  send = () => wallet.sendTransaction({ to: anvil.accounts[1]!.address, value: 1n });
  setAutomine = (on) => testClient.setAutomine(on);
  mine = () => testClient.mine({ blocks: 1 });
});

afterAll(async () => {
  await anvil?.stop();
});

describe("waitForReceipt", () => {
  it("returns the receipt of a mined transaction", async () => {
    const hash = await send();
    const receipt = await waitForReceipt(client, hash, { pollIntervalMs: 10 });
    expect(receipt.transactionHash).toBe(hash);
    expect(receipt.status).toBe("success");
  });

  it("still reports a mined transaction when asked after the stop began", async () => {
    const hash = await send();
    await waitForReceipt(client, hash, { pollIntervalMs: 10 });
    const stopped = AbortSignal.abort(new Error("stopping"));
    expect((await waitForReceipt(client, hash, { signal: stopped })).transactionHash).toBe(hash);
  });

  it("ends at once on abort while the transaction waits in the pool, naming it", async () => {
    await setAutomine(false);
    try {
      const hash = await send();
      const controller = new AbortController();
      const waiting = waitForReceipt(client, hash, { pollIntervalMs: 10, signal: controller.signal });
      setTimeout(() => controller.abort(new Error("SIGTERM")), 50);
      await expect(waiting).rejects.toThrow(ReceiptWaitAbortedError);
      await expect(waiting).rejects.toMatchObject({ hash });
      // It was not lost: mined later, it is there.
      await mine();
      expect((await waitForReceipt(client, hash)).status).toBe("success");
    } finally {
      await setAutomine(true);
    }
  });

  it("gives up with viem's timeout error when nothing is mined in time", async () => {
    await setAutomine(false);
    try {
      const hash = await send();
      await expect(waitForReceipt(client, hash, { timeoutMs: 150, pollIntervalMs: 20 })).rejects.toThrow(
        WaitForTransactionReceiptTimeoutError,
      );
      await mine();
    } finally {
      await setAutomine(true);
    }
  });

  it("is not held up by an endpoint that accepts and never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const hung = createPublicClient({
      chain: defineChain({ ...client.chain, rpcUrls: { default: { http: [url] } } }),
      transport: http(url, { timeout: 10_000, retryCount: 3 }),
    }) as ReadClient;
    try {
      const controller = new AbortController();
      const started = Date.now();
      const waiting = waitForReceipt(hung, `0x${"11".repeat(32)}`, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("SIGTERM")), 300);
      await expect(waiting).rejects.toThrow(ReceiptWaitAbortedError);
      // Not the transport's 10 s timeout, three times over: the wait ends when the stop comes.
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
