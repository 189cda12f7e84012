import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  E18,
  type RunningCli,
  registerOperators,
  runCli,
  startTestAvs,
  strategyOf,
  type TestAvs,
  waitFor,
} from "@avskit/integration";
import { SequencerClient } from "@avskit/sequencer-client";
import { checkCertificate, loadChainNetwork } from "@avskit/sequencer-protocol";
import type { Hex, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sequencerCliPath } from "../src/cluster.js";
import { getJson } from "../src/http.js";
import { freePort } from "../src/ports.js";

/**
 * The default network: the operators of quorum 0 from the chain. Four operators register with
 * the deployed registries on a real anvil (their sockets are their nodes' URLs, with unequal
 * stakes), and four node processes read the set with `--rpc-url` (OperatorStateRetriever at a
 * reference block, keys and stakes from the registries). They finalize batches sent through the
 * SDK, whose trust is the same set read from the chain, and the certificates count the
 * registries' stakes.
 */

let avs: TestAvs;
let dir: string;
const nodes: { key: Hex; bls: ReturnType<typeof generateKeyPair>; port: number; run?: RunningCli }[] = [];
const urls = () => nodes.map((n) => `http://127.0.0.1:${n.port}`);

function register(n: (typeof nodes)[number], stake: bigint) {
  const account = privateKeyToAccount(n.key);
  return {
    quorums: [0],
    deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: stake * E18 }],
    socket: `http://127.0.0.1:${n.port}`,
    identity: {
      account,
      address: account.address,
      bls: n.bls,
      operatorId: operatorIdFromPublicKey(n.bls.publicKeyG1) as Hex,
    },
  };
}

function startNode(i: number): void {
  const n = nodes[i]!;
  n.run = runCli(sequencerCliPath(), [
    "--rpc-url",
    avs.rpcUrl,
    "--deployments-dir",
    avs.deploymentsDir,
    "--quorum",
    "0",
    "--listen",
    `127.0.0.1:${n.port}`,
    "--data-dir",
    join(dir, `node-${i}`),
    "--bls-private-key",
    `0x${n.bls.secretKey.toString(16)}`,
    "--ecdsa-private-key",
    n.key,
    "--metrics-addr",
    "none",
    "--heartbeat",
    "50ms",
    "--network-refresh",
    "300ms",
    "--network-epoch-blocks",
    "10",
  ]);
}

async function states() {
  const replies = await Promise.all(urls().map((u) => getJson(`${u}/v1/state`)));
  return replies.map((r) => r?.body as { ready?: boolean; snapshotId?: string } | undefined);
}

function output(): string {
  return nodes
    .map((n, i) => `--- node ${i}\n${n.run?.stderr() ?? ""}${n.run?.stdout().slice(-3000) ?? ""}`)
    .join("\n");
}

beforeAll(async () => {
  avs = await startTestAvs();
  dir = mkdtempSync(join(tmpdir(), "avskit-seq-chain-"));
  const stakes = [40n, 20n, 20n, 20n];
  for (let i = 0; i < 4; i++)
    nodes.push({ key: generatePrivateKey(), bls: generateKeyPair(), port: await freePort() });
  await registerOperators(
    avs,
    nodes.map((n, i) => register(n, stakes[i]!)),
  );
  // Past an epoch boundary (--network-epoch-blocks 10): the nodes read the set after the registrations.
  await avs.mine(12);
  for (let i = 0; i < nodes.length; i++) startNode(i);
}, 120_000);

afterAll(async () => {
  for (const n of nodes) n.run?.child.kill("SIGTERM");
  await Promise.all(nodes.map((n) => n.run?.exited));
  await avs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("nodes on the chain's operator set finalize batches the SDK verifies against the registries' stakes", async () => {
  const ready = await waitFor(
    "every node ready on one snapshot",
    async () => {
      const bodies = await states();
      return bodies.every((b) => b?.ready) && new Set(bodies.map((b) => b?.snapshotId)).size === 1
        ? bodies
        : undefined;
    },
    60_000,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output()}`);
  });
  const network0 = (await getJson(`${urls()[0]}/v1/network`))?.body as {
    snapshot: { referenceBlock: number };
  };
  const trusted = await loadChainNetwork(avs.client as unknown as PublicClient, {
    registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
    operatorStateRetriever: avs.operatorStateRetriever,
    quorumNumber: 0,
    referenceBlock: network0.snapshot.referenceBlock,
    chainId: avs.chainId,
  });
  expect(ready[0]!.snapshotId).toBe(trusted.snapshotId);
  expect(trusted.members.map((m) => m.url).sort()).toEqual([...urls()].sort());
  expect(trusted.members.map((m) => m.stake).sort()).toEqual([20n, 20n, 20n, 40n].map((s) => s * E18));

  const loadChain = (snapshot: { referenceBlock: number }) =>
    loadChainNetwork(avs.client as unknown as PublicClient, {
      registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
      operatorStateRetriever: avs.operatorStateRetriever,
      quorumNumber: 0,
      referenceBlock: snapshot.referenceBlock,
      chainId: avs.chainId,
    });
  const client = new SequencerClient("chain-app", {
    network: trusted,
    nodes: urls(),
    loadChainNetwork: loadChain,
  });
  const sent = await client.send(["a", "b", "c"], { waitFor: "finalized" });
  expect(sent.indexes).toEqual([1n, 2n, 3n]);
  const final = await client.lastFinalized();
  expect(final.index).toBe(3n);
  expect(checkCertificate(trusted, final.certificate!).ok).toBe(true);

  // A fifth operator registers. The four running nodes see the set change at the registries and
  // vote the next term onto it without the fifth (their stake is a quorum of the set they
  // leave); its node starts only then, on the registries' newest epoch block, having missed the
  // view that made the change, and learns it from a peer. The client (trusting the first set
  // only) follows the change and verifies the new certificates.
  nodes.push({ key: generatePrivateKey(), bls: generateKeyPair(), port: await freePort() });
  await registerOperators(avs, [register(nodes[4]!, 20n)]);
  await avs.mine(12);
  await waitFor(
    "the four running nodes on a new snapshot",
    async () => {
      const running = (await states()).slice(0, 4);
      return running.every((b) => b?.snapshotId && b.snapshotId !== trusted.snapshotId) || undefined;
    },
    60_000,
    100,
  );
  startNode(4);
  const moved = await waitFor(
    "all five nodes ready on the five-member snapshot",
    async () => {
      const bodies = await states();
      const ids = new Set(bodies.map((b) => b?.snapshotId));
      return bodies.every((b) => b?.ready) && ids.size === 1 && !ids.has(trusted.snapshotId)
        ? bodies
        : undefined;
    },
    60_000,
    100,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${JSON.stringify(await states())}\n${output()}`);
  });
  const after = await client.send(["d", "e"], { waitFor: "finalized" });
  expect(after.indexes).toEqual([4n, 5n]);
  const newest = await client.lastFinalized();
  expect(newest.certificate!.snapshotId).toBe(moved[0]!.snapshotId);
  const fifthView = (await getJson(`${urls()[4]}/v1/network`))?.body as {
    snapshot: { referenceBlock: number };
  };
  const five = await loadChain(fifthView.snapshot);
  expect(five.members).toHaveLength(5);
  expect(checkCertificate(five, newest.certificate!).ok).toBe(true);
}, 180_000);
