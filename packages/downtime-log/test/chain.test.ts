import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { registryCoordinatorAbi } from "@avskit/bindings";
import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  deployDowntimeEjector,
  E18,
  type RunningCli,
  registerOperators,
  runCli,
  startTestAvs,
  strategyOf,
  type TestAvs,
} from "@avskit/integration";
import { SequencerClient } from "@avskit/sequencer-client";
import { freePort, sequencerCliPath, sleep } from "@avskit/sequencer-e2e";
import { RegistryNetworks, snapshotIdOf } from "@avskit/sequencer-protocol";
import type { Address, Hex, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOWNTIME_APP, type DowntimeEvent, EVENT_TYPE, type OperatorEpochAnswer } from "../src/index.js";
import { Replicas } from "./replicas.js";

/**
 * The downtime log on the registries, real processes over JSON-RPC on one anvil: four operators
 * registered with the deployed registries (unequal stakes, sockets that are their sequencer nodes'
 * URLs), four sequencer nodes reading that set from the chain, and four replicas counting each
 * event's stake in the registries at its reference block. The chain mines a block a second, as a
 * real one would; a DowntimeEjector (60 s epochs, 5 % ejection share) is the coordinator's ejector.
 */

const EJECT_CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "eject-cli.js");
const EPOCH_S = 60n;
const MAX_DOWNTIME_BPS = 500;
/** The ejection share of an epoch, in ms (3 s). */
const SHARE_MS = (Number(EPOCH_S) * 1000 * MAX_DOWNTIME_BPS) / 10_000;
const EPOCH_BLOCKS = 10;
const MAX_REFERENCE_AGE_S = 30;
const STAKES = [40n, 20n, 20n, 20n];

let avs: TestAvs;
let dir: string;
let ejector: Address;
let origin: bigint;
let sequencerBlock: number;
let miner: NodeJS.Timeout;
let replicas: Replicas;
let client: SequencerClient;
const keeperKey = generatePrivateKey();
const operators = STAKES.map(() => {
  const bls = generateKeyPair();
  const ecdsaKey = generatePrivateKey();
  return {
    bls,
    ecdsaKey,
    address: privateKeyToAccount(ecdsaKey).address,
    operatorId: operatorIdFromPublicKey(bls.publicKeyG1).toLowerCase() as Hex,
    port: 0,
    node: undefined as RunningCli | undefined,
  };
});
const nodeUrl = (i: number) => `http://127.0.0.1:${operators[i]!.port}`;

function startNode(i: number): void {
  const op = operators[i]!;
  op.node = runCli(
    sequencerCliPath(),
    [
      "--rpc-url",
      avs.rpcUrl,
      "--deployments-dir",
      avs.deploymentsDir,
      "--reference-block",
      String(sequencerBlock),
      "--network-epoch-blocks",
      String(EPOCH_BLOCKS),
      "--listen",
      `127.0.0.1:${op.port}`,
      "--data-dir",
      join(dir, `node-${i}`),
      "--metrics-addr",
      "none",
      "--heartbeat",
      "100ms",
      "--network-refresh",
      "1s",
    ],
    {
      AVSKIT_SEQUENCER_BLS_PRIVATE_KEY: `0x${op.bls.secretKey.toString(16).padStart(64, "0")}`,
      AVSKIT_SEQUENCER_ECDSA_PRIVATE_KEY: op.ecdsaKey,
    },
  );
}

async function stopNode(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  const run = operators[i]!.node;
  if (run === undefined) return;
  run.child.kill(signal);
  await run.ended;
  operators[i]!.node = undefined;
}

beforeAll(async () => {
  avs = await startTestAvs();
  dir = mkdtempSync(join(tmpdir(), "avskit-downtime-chain-"));
  for (const op of operators) op.port = await freePort();
  await registerOperators(
    avs,
    operators.map((op, i) => ({
      quorums: [0],
      deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: STAKES[i]! * E18 }],
      socket: nodeUrl(i),
      identity: {
        account: privateKeyToAccount(op.ecdsaKey),
        address: op.address,
        bls: op.bls,
        operatorId: op.operatorId,
      },
    })),
  );
  origin = (await avs.client.getBlock()).timestamp - 3n * EPOCH_S;
  ejector = await deployDowntimeEjector(avs, {
    epochOrigin: origin,
    epochLength: EPOCH_S,
    maxDowntimeBps: MAX_DOWNTIME_BPS,
    thresholdPercentage: 67,
  });
  await avs.testClient.setBalance({ address: privateKeyToAccount(keeperKey).address, value: 10n * E18 });
  await avs.mine(EPOCH_BLOCKS + 2);
  const latest = Number(await avs.client.getBlockNumber()) - 1;
  sequencerBlock = latest - (latest % EPOCH_BLOCKS);
  miner = setInterval(() => void avs.mine(1).catch(() => {}), 1_000);
  for (let i = 0; i < operators.length; i++) startNode(i);
  replicas = await Replicas.startFor(operators, dir, [
    "--rpc-url",
    avs.rpcUrl,
    "--deployments-dir",
    avs.deploymentsDir,
    "--network-epoch-blocks",
    String(EPOCH_BLOCKS),
    "--max-reference-age",
    `${MAX_REFERENCE_AGE_S}s`,
    "--network-refresh",
    "1s",
    "--sequencer-reference-block",
    String(sequencerBlock),
    "--epoch-origin",
    String(Number(origin) * 1000),
    "--epoch-length",
    `${EPOCH_S}s`,
  ]);
  const network = await new RegistryNetworks(avs.client as unknown as PublicClient, {
    registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
    operatorStateRetriever: avs.operatorStateRetriever,
    quorumNumber: 0,
    chainId: avs.chainId,
    epochBlocks: EPOCH_BLOCKS,
  }).load(sequencerBlock);
  client = new SequencerClient(DOWNTIME_APP, { network, nodes: operators.map((_, i) => nodeUrl(i)) });
}, 240_000);

afterAll(async () => {
  clearInterval(miner);
  await replicas?.close();
  await Promise.all(operators.map((_, i) => stopNode(i, "SIGTERM")));
  await avs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The finalized batches of the app from the start, parsed. */
async function logEvents(upTo: number): Promise<{ index: number; body: unknown }[]> {
  const out: { index: number; body: unknown }[] = [];
  if (upTo === 0) return out;
  for await (const batch of client.batches({ after: 0, signal: AbortSignal.timeout(30_000) })) {
    out.push({ index: Number(batch.index), body: JSON.parse(new TextDecoder().decode(batch.body)) });
    if (Number(batch.index) >= upTo) break;
  }
  return out;
}

async function answer(i: number, operator: Hex, epoch: number, at: number): Promise<OperatorEpochAnswer> {
  const text = await replicas.text(i, `/v1/operators/${operator}/epochs/${epoch}?at=${at}`);
  return JSON.parse(text!) as OperatorEpochAnswer;
}

const epochOf = (ms: number) => Math.floor((ms - Number(origin) * 1000) / Number(EPOCH_S * 1000n));

/** Every epoch from the one holding `fromMs` to the current one. */
function epochsSince(fromMs: number): number[] {
  const out: number[] = [];
  for (let e = epochOf(fromMs); e <= epochOf(Date.now()); e++) out.push(e);
  return out;
}

/**
 * The states of `operator`'s events that replica i applied since `fromMs`, in log order (its
 * own answers, as of its last applied index). Counted per operator: on a loaded machine a slow
 * probe may get another operator a down event of its own, so "two events applied" is not "this
 * operator's two events".
 */
async function statesOn(i: number, operator: Hex, fromMs: number): Promise<string[] | undefined> {
  const status = await replicas.status(i);
  if (status === undefined) return undefined;
  const answers = await Promise.all(epochsSince(fromMs).map((e) => answer(i, operator, e, status.asOfIndex)));
  return answers.flatMap((a) => a.events.map((e) => e.state));
}
const SUBJECT = 3;
let downUp: DowntimeEvent[] = [];

describe("the downtime log on the registries", () => {
  it("counts each event's stake in the registries at its reference block, on every replica alike", async () => {
    const subject = operators[SUBJECT]!;
    const killedAt = Date.now();
    await stopNode(SUBJECT);
    await replicas.kill(SUBJECT);
    const others = [0, 1, 2];
    const appliedEverywhere = (among: readonly number[], states: readonly string[]) =>
      replicas.waitFor(
        async () =>
          (await Promise.all(among.map((i) => statesOn(i, subject.operatorId, killedAt)))).every(
            (got) => got !== undefined && states.every((state, k) => got[k] === state),
          ),
        90_000,
        `the subject's ${states.join(", ")} applied on replicas ${among.join(", ")}`,
      );
    await appliedEverywhere(others, ["down"]);
    // Down long enough to be over the 5 % share (3 s) in at least one epoch, whatever the boundaries.
    await sleep(8_000);
    startNode(SUBJECT);
    replicas.restart(SUBJECT);
    await appliedEverywhere([0, 1, 2, 3], ["down", "up"]);
    const statuses = await Promise.all([0, 1, 2, 3].map((i) => replicas.mustStatus(i)));
    const index = Math.min(...statuses.map((s) => s.asOfIndex));
    const digests = await Promise.all([0, 1, 2, 3].map((i) => replicas.text(i, `/v1/digest?at=${index}`)));
    expect(new Set(digests).size).toBe(1);

    // The batches the replicas applied for the subject (others posted the same change and were refused NOT_A_CHANGE).
    const applied = new Set(
      (await Promise.all(epochsSince(killedAt).map((e) => answer(0, subject.operatorId, e, index)))).flatMap(
        (a) => a.events.map((e) => e.index),
      ),
    );
    const log = await logEvents(index);
    downUp = log.filter((b) => applied.has(b.index)).map((b) => b.body as DowntimeEvent);
    expect(downUp.map((e) => e.state)).toEqual(["down", "up"]);
    for (const event of downUp) {
      expect(event.referenceBlock).toBeDefined();
      expect(event.referenceBlock! % EPOCH_BLOCKS).toBe(0);
      expect(event.snapshotId).toBe(
        snapshotIdOf({
          kind: "chain",
          chainId: avs.chainId,
          registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
          quorumNumber: 0,
          referenceBlock: event.referenceBlock!,
        }),
      );
    }
    // The down event could not have been signed by the subject: it is a non-signer.
    expect(downUp[0]!.nonSigners).toContain(subject.operatorId);
  }, 240_000);

  it("refuses, on every replica, events whose reference block is not one stake may be counted at", async () => {
    const head = Number(await avs.client.getBlockNumber());
    // Block 10 (mined while deploying) becomes too old a reference once the age limit has passed.
    const old = Number((await avs.client.getBlock({ blockNumber: 10n })).timestamp) * 1000;
    await sleep(Math.max(0, old + (MAX_REFERENCE_AGE_S + 2) * 1000 - Date.now()));
    const now = Date.now();
    const base = {
      type: EVENT_TYPE,
      subject: operators[1]!.operatorId,
      state: "down",
      observedAt: now,
      epoch: epochOf(now),
      nonSigners: [],
      signature: { X: "1", Y: "2" },
    };
    const snapshot = (referenceBlock: number) =>
      snapshotIdOf({
        kind: "chain",
        chainId: avs.chainId,
        registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
        quorumNumber: 0,
        referenceBlock,
      });
    const future = head + 1_000 - ((head + 1_000) % EPOCH_BLOCKS);
    const unrounded = head - (head % EPOCH_BLOCKS) - 7;
    const bodies = {
      REFERENCE_BLOCK_NOT_ROUNDED: { ...base, referenceBlock: unrounded, snapshotId: snapshot(unrounded) },
      REFERENCE_BLOCK_TOO_NEW: { ...base, referenceBlock: future, snapshotId: snapshot(future) },
      REFERENCE_BLOCK_TOO_OLD: { ...base, referenceBlock: 10, snapshotId: snapshot(10) },
      SNAPSHOT_MISMATCH: { ...base, snapshotId: snapshot(10) },
    };
    const { indexes } = await client.send(
      Object.values(bodies).map((b) => JSON.stringify(b)),
      { waitFor: "finalized", timeoutMs: 60_000 },
    );
    const last = Number(indexes!.at(-1));
    await replicas.waitIndex(last);
    const expected = Object.keys(bodies);
    for (const i of [0, 1, 2, 3]) {
      const text = await replicas.text(i, `/v1/refusals?at=${last}`);
      const { refusals } = JSON.parse(text!) as { refusals: { index: number; reason: string }[] };
      const byIndex = Object.fromEntries(refusals.map((r) => [r.index, r.reason]));
      expect(indexes!.map((n) => byIndex[Number(n)])).toEqual(expected);
    }
  }, 120_000);

  it("the keeper ejects the operator with the replicas' signed report, once; below the share it sends nothing", async () => {
    expect(downUp).toHaveLength(2);
    const subject = operators[SUBJECT]!;
    const status = await replicas.mustStatus(0);
    // The epoch the outage weighs most in (an outage can straddle a boundary).
    const [e1, e2] = [epochOf(downUp[0]!.observedAt), epochOf(downUp[1]!.observedAt)];
    const candidates = await Promise.all(
      [e1, e2].map((e) => answer(0, subject.operatorId, e, status.asOfIndex)),
    );
    const worst = candidates.sort((a, b) => b.downtimeMs - a.downtimeMs)[0]!;
    expect(worst.downtimeMs).toBeGreaterThan(3_000);

    const keeper = (operator: Address, epoch: number) =>
      runCli(
        EJECT_CLI,
        [
          "--rpc-url",
          avs.rpcUrl,
          "--deployments-dir",
          avs.deploymentsDir,
          "--ejector",
          ejector,
          "--operator",
          operator,
          "--epoch",
          String(epoch),
          "--replicas",
          [0, 1, 2, 3].map((i) => replicas.url(i)).join(","),
        ],
        { AVSKIT_DOWNTIME_EJECT_ECDSA_PRIVATE_KEY: keeperKey },
      );
    const coordinatorStatus = () =>
      avs.client.readContract({
        address: avs.deployment.contracts.registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "getOperatorStatus",
        args: [subject.address],
      });
    expect(await coordinatorStatus()).toBe(1);

    // Below the share: the least-down of the others in that epoch. Any of them can have some
    // downtime on a loaded machine (a slow probe), so which one is calm is read, not assumed.
    const others = await Promise.all(
      [0, 1, 2].map(async (k) => ({
        k,
        answer: await answer(0, operators[k]!.operatorId, worst.epoch, status.asOfIndex),
      })),
    );
    const calmest = others.sort((a, b) => a.answer.downtimeMs - b.answer.downtimeMs)[0]!;
    expect(calmest.answer.downtimeMs).toBeLessThan(SHARE_MS);
    const calm = keeper(operators[calmest.k]!.address, worst.epoch);
    expect(await calm.exited).toBe(0);
    expect(JSON.parse(calm.stdout())).toMatchObject({ ejected: false, reason: "BELOW_SHARE" });

    const run = keeper(subject.address, worst.epoch);
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    const result = JSON.parse(run.stdout()) as {
      ejected: boolean;
      signers: number;
      report: { downtimeMs: number; asOfIndex: number };
    };
    expect(result).toMatchObject({ ejected: true });
    const atReport = await answer(0, subject.operatorId, worst.epoch, result.report.asOfIndex);
    expect(result.report.downtimeMs, JSON.stringify(atReport)).toBe(atReport.downtimeMs);
    // The subject's replica signs too (its database agrees), so 4 of 4.
    expect(result.signers).toBeGreaterThanOrEqual(3);
    expect(await coordinatorStatus()).toBe(2);

    const again = keeper(subject.address, worst.epoch);
    expect(await again.exited).toBe(1);
    expect(again.stderr()).toMatch(/AlreadyEjectedThisEpoch/);
  }, 120_000);
});
