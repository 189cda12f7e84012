// The runtime's LogCursor against a real anvil: two tiny contracts installed with setCode emit
// `Tick(uint256 indexed n)` and `Tock(uint256 indexed n)` with n taken from the calldata.
import { type AnvilInstance, startAnvil } from "@avskit/devnet";
import { connectChain, LogCursor, type ReadClient } from "@avskit/runtime";
import {
  type Address,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  numberToHex,
  parseAbi,
  toEventSelector,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const abi = parseAbi(["event Tick(uint256 indexed n)", "event Tock(uint256 indexed n)"]);
const TICK: Address = "0x00000000000000000000000000000000000071c0";
const TOCK: Address = "0x00000000000000000000000000000000000070c0";

/** PUSH1 0 CALLDATALOAD, PUSH32 topic0, PUSH1 0, PUSH1 0, LOG2, STOP: logs `event(n)` with n = calldata[0:32]. */
function emitter(signature: string): Hex {
  return `0x6000357f${toEventSelector(signature).slice(2)}60006000a200`;
}

let anvil: AnvilInstance;
let client: ReadClient;
let emit: (to: Address, n: number) => Promise<void>;

beforeAll(async () => {
  anvil = await startAnvil({ port: 0 });
  client = await connectChain({ rpcUrl: anvil.rpcUrl, pollingIntervalMs: 20 });
  const testClient = createTestClient({ mode: "anvil", chain: client.chain, transport: http(anvil.rpcUrl) });
  await testClient.setCode({ address: TICK, bytecode: emitter("Tick(uint256)") });
  await testClient.setCode({ address: TOCK, bytecode: emitter("Tock(uint256)") });
  const wallet = createWalletClient({
    account: privateKeyToAccount(anvil.accounts[0]!.privateKey),
    chain: client.chain,
    transport: http(anvil.rpcUrl),
  });
  emit = async (to, n) => {
    const hash = await wallet.sendTransaction({ to, data: numberToHex(n, { size: 32 }) });
    await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  };
});

afterAll(async () => {
  await anvil?.stop();
});

describe("LogCursor on anvil", () => {
  it("reads every wanted event once, in block order, in ranges of at most maxRange blocks", async () => {
    const start = (await client.getBlockNumber({ cacheTime: 0 })) + 1n;
    for (let n = 1; n <= 7; n++) await emit(n % 3 === 0 ? TOCK : TICK, n);
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const cursor = new LogCursor({
      client,
      address: [TICK, TOCK],
      abi,
      eventNames: ["Tick"],
      fromBlock: start,
      maxRange: 2,
    });
    const seen: bigint[] = [];
    const ranges: [bigint, bigint][] = [];
    await cursor.readTo(head, (logs, range) => {
      ranges.push([range.fromBlock, range.toBlock]);
      for (const log of logs) seen.push(log.args.n);
    });
    expect(seen).toEqual([1n, 2n, 4n, 5n, 7n]);
    expect(ranges.every(([from, to]) => to - from + 1n <= 2n)).toBe(true);
    expect(ranges[0]![0]).toBe(start);
    expect(ranges.at(-1)![1]).toBe(head);
    expect(cursor.nextBlock).toBe(head + 1n);
    // Nothing new: no request, no logs.
    await cursor.readTo(head, () => {
      throw new Error("no range left to read");
    });
  });

  it("keeps its place when a handler throws, so the next read loses and repeats nothing", async () => {
    const start = (await client.getBlockNumber({ cacheTime: 0 })) + 1n;
    for (let n = 10; n < 16; n++) await emit(TICK, n);
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const cursor = new LogCursor({
      client,
      address: TICK,
      abi,
      eventNames: ["Tick"],
      fromBlock: start,
      maxRange: 2,
    });
    const applied: bigint[] = [];
    let calls = 0;
    const apply = (logs: { args: { n: bigint } }[]) => {
      calls++;
      if (calls === 2) throw new Error("database busy");
      for (const log of logs) applied.push(log.args.n);
    };
    await expect(cursor.readTo(head, apply)).rejects.toThrow("database busy");
    expect(cursor.nextBlock).toBe(start + 2n);
    await cursor.readTo(head, apply);
    expect(applied).toEqual([10n, 11n, 12n, 13n, 14n, 15n]);
  });

  it("refuses a range below one block", () => {
    expect(
      () => new LogCursor({ client, address: TICK, abi, eventNames: ["Tick"], fromBlock: 0n, maxRange: 0 }),
    ).toThrow(RangeError);
  });
});
