/**
 * Sequencer benchmark: `npm run bench:sequencer` from the repository root.
 *
 * Four real `avskit-sequencer` processes on 127.0.0.1 (static network, fresh keys, no proxies in
 * between), and in this process: senders through the SDK (`SequencerClient.send`, acknowledged
 * = durable on one node), each batch 100 transactions of 100 bytes (one 10,000-byte body), and
 * one reader through the SDK's verified iterator (`batches()`: every page checked against its BLS
 * finality certificate before a batch is yielded).
 * - Phase 1 (`--duration`, 30 s): finality latency of each batch = from the moment `send` was
 *   called to the moment the reader holds it, verified. Throughput = batches the reader got in
 *   the phase over its length.
 * - Phase 2 (`--kill-duration`, 20 s): the same load, the leader SIGKILLed at its middle;
 *   `switch_gap_ms` = the longest time the reader went without a finalized batch.
 * CPU of every node process (utime + stime from /proc/<pid>/stat) and of this process per phase,
 * as a share of one core: with 2 cores shared by 4 nodes and the load, what limits it.
 * The last line printed is one JSON object.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SequencerClient } from "@avskit/sequencer-client";
import { parseStaticNetwork } from "@avskit/sequencer-protocol";
import { Cluster } from "../src/cluster.js";
import { sleep } from "../src/http.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "30" },
    "kill-duration": { type: "string", default: "20" },
    nodes: { type: "string", default: "4" },
    senders: { type: "string", default: "8" },
    "batches-per-send": { type: "string", default: "5" },
    "batch-txs": { type: "string", default: "100" },
    "tx-bytes": { type: "string", default: "100" },
    heartbeat: { type: "string", default: "100ms" },
    "leader-timeout": { type: "string", default: "2s" },
    /** More flags for every node, space-separated (e.g. "--max-round-bytes 262144"). */
    "node-args": { type: "string", default: "" },
  },
});

const DURATION_S = Number(values.duration);
const KILL_DURATION_S = Number(values["kill-duration"]);
const NODES = Number(values.nodes);
const SENDERS = Number(values.senders);
const PER_SEND = Number(values["batches-per-send"]);
const BATCH_TXS = Number(values["batch-txs"]);
const TX_BYTES = Number(values["tx-bytes"]);
const APP = "bench";
const TARGETS = { tx_per_s: 50_000, finality_p99_ms: 1_000, switch_gap_ms: 10_000 };

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** One batch: BATCH_TXS transactions of TX_BYTES each, concatenated; distinct bodies so nothing is cached. */
function batchBody(n: number): Uint8Array {
  const body = new Uint8Array(BATCH_TXS * TX_BYTES);
  for (let t = 0; t < BATCH_TXS; t++) {
    const tx = body.subarray(t * TX_BYTES, (t + 1) * TX_BYTES);
    tx.fill(0x61 + ((n + t) % 26));
    new DataView(tx.buffer, tx.byteOffset).setUint32(0, n);
    new DataView(tx.buffer, tx.byteOffset).setUint32(4, t);
  }
  return body;
}

const TICKS_PER_S = 100;
function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface PhaseResult {
  readonly finalized: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly maxGapMs: number;
  readonly sent: number;
  readonly sendErrors: number;
  readonly cpu: Record<string, number | null>;
}

async function runPhase(
  cluster: Cluster,
  network: ReturnType<typeof parseStaticNetwork>,
  seconds: number,
  from: bigint,
  midway?: () => Promise<void>,
): Promise<PhaseResult & { lastIndex: bigint; lastFinalAt: number; midwayAt: number }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const stop = new AbortController();
  let sent = 0;
  let sendErrors = 0;
  let counter = Number(from) * 7 + 1;

  const nodeCpu0 = cluster.nodes.map((n) => cpuTicks(n.process?.child.pid));
  const selfCpu0 = process.cpuUsage();
  const started = Date.now();
  const endAt = started + seconds * 1000;

  const senders = Array.from({ length: SENDERS }, async (_, s) => {
    const client = new SequencerClient(APP, {
      network,
      // Spread over the nodes; the SDK moves on when its node is gone.
      nodes: cluster.nodes.map((_n, i) => cluster.node((i + s) % cluster.nodes.length).url),
      requestTimeoutMs: 3_000,
    });
    while (Date.now() < endAt) {
      const bodies = Array.from({ length: PER_SEND }, () => batchBody(counter++));
      // Our own ids, recorded before the send: the reader may see a batch final before the
      // acknowledgement reaches us.
      const ids = bodies.map(() => `0x${randomBytes(16).toString("hex")}` as const);
      const t0 = Date.now();
      for (const id of ids) sentAt.set(id, t0);
      try {
        await client.send(bodies, { ids, timeoutMs: 15_000 });
        sent += ids.length;
      } catch {
        sendErrors++;
      }
    }
  });

  let finalized = 0;
  let lastAt = started;
  let maxGapMs = 0;
  let lastIndex = from;
  const reader = (async () => {
    const client = new SequencerClient(APP, {
      network,
      nodes: [...cluster.nodes].reverse().map((n) => n.url),
      requestTimeoutMs: 3_000,
      longPollMs: 1_000,
    });
    try {
      for await (const batch of client.batches({ after: from, signal: stop.signal })) {
        const now = Date.now();
        lastIndex = batch.index;
        const t0 = sentAt.get(batch.id.toLowerCase());
        if (t0 === undefined) continue; // sent in an earlier phase
        latencies.push(now - t0);
        maxGapMs = Math.max(maxGapMs, now - lastAt);
        lastAt = now;
        finalized++;
        if (now >= endAt) break;
      }
    } catch (error) {
      if (!stop.signal.aborted) say(`reader stopped: ${(error as Error).message}`);
    }
  })();

  let midwayAt = 0;
  if (midway) {
    await sleep((seconds * 1000) / 2);
    midwayAt = Date.now();
    await midway();
  }
  await Promise.all(senders);
  // The reader ends with the phase; what is still in flight is not counted.
  await Promise.race([reader, sleep(2_000)]);
  stop.abort();
  await reader;
  maxGapMs = Math.max(maxGapMs, Math.min(Date.now(), endAt) - lastAt);

  const elapsed = (Date.now() - started) / 1000;
  const cpu: Record<string, number | null> = {};
  cluster.nodes.forEach((n, i) => {
    // A node killed in the phase has no /proc entry left to read: null.
    cpu[`node${i}`] = n.running
      ? Math.round(((cpuTicks(n.process?.child.pid) - nodeCpu0[i]!) / TICKS_PER_S / elapsed) * 100)
      : null;
  });
  const self = process.cpuUsage(selfCpu0);
  cpu.bench = Math.round(((self.user + self.system) / 1e6 / elapsed) * 100);
  return {
    finalized,
    seconds,
    latencies: latencies.sort((a, b) => a - b),
    maxGapMs,
    sent,
    sendErrors,
    cpu,
    lastIndex,
    lastFinalAt: lastAt,
    midwayAt,
  };
}

async function main(): Promise<void> {
  say(`${NODES} nodes, ${SENDERS} senders × ${PER_SEND} batches of ${BATCH_TXS} × ${TX_BYTES} B`);
  const cluster = await Cluster.start({
    size: NODES,
    proxied: false,
    heartbeat: values.heartbeat,
    leaderTimeout: values["leader-timeout"],
    logLevel: "warn",
    args: values["node-args"].split(" ").filter(Boolean),
  });
  try {
    const network = parseStaticNetwork(readFileSync(cluster.networkFile, "utf8"));
    say(`phase 1: steady load for ${DURATION_S} s`);
    const steady = await runPhase(cluster, network, DURATION_S, 0n);
    say(
      `phase 1: ${steady.finalized} batches final (${steady.sent} acknowledged, ${steady.sendErrors} send errors), cpu % ${JSON.stringify(steady.cpu)}`,
    );

    say(`phase 2: ${KILL_DURATION_S} s, the leader killed at ${KILL_DURATION_S / 2} s`);
    let killed = "";
    const kill = await runPhase(cluster, network, KILL_DURATION_S, steady.lastIndex, async () => {
      // The nodes may be between terms right then: up to 10 s for one leader.
      const giveUpAt = Date.now() + 10_000;
      let leader = await cluster.leader();
      while (!leader && Date.now() < giveUpAt) {
        await sleep(100);
        leader = await cluster.leader();
      }
      if (!leader) {
        killed = "none: no leader for 10 s";
        say("no leader to kill: the nodes did not agree on one for 10 s");
        return;
      }
      killed = `node${leader.node.index} (term ${leader.term})`;
      say(`killing the leader ${killed}`);
      await cluster.kill(leader.node.index);
    });
    const after = await cluster.leader(cluster.nodes.filter((n) => n.running).map((n) => n.index));
    say(
      `phase 2: ${kill.finalized} batches final, longest gap ${kill.maxGapMs} ms, new leader node${after?.node.index} term ${after?.term}`,
    );

    const batchesPerS = steady.finalized / steady.seconds;
    // The gap only counts as a switch when batches became final again after the kill; otherwise
    // it is cut off by the end of the phase (a lower bound, and the target is not met).
    const recovered = killed.startsWith("node") && kill.lastFinalAt > kill.midwayAt;
    const result = {
      nodes: NODES,
      tx_bytes: TX_BYTES,
      batch_txs: BATCH_TXS,
      duration_s: DURATION_S,
      senders: SENDERS,
      batches_per_send: PER_SEND,
      batches_per_s: Math.round(batchesPerS * 10) / 10,
      tx_per_s: Math.round(batchesPerS * BATCH_TXS),
      finality_p50_ms: percentile(steady.latencies, 50),
      finality_p99_ms: percentile(steady.latencies, 99),
      finality_max_ms: steady.latencies.at(-1) ?? null,
      acknowledged: steady.sent,
      send_errors: steady.sendErrors,
      cpu_percent_steady: steady.cpu,
      switch_gap_ms: kill.maxGapMs,
      switch_recovered: recovered,
      switch_finality_p99_ms: percentile(kill.latencies, 99),
      killed_leader: killed,
      cpu_percent_kill: kill.cpu,
      targets: TARGETS,
      target_met: {
        tx_per_s: batchesPerS * BATCH_TXS >= TARGETS.tx_per_s,
        finality_p99_ms: percentile(steady.latencies, 99) <= TARGETS.finality_p99_ms,
        switch_gap_ms: recovered && kill.maxGapMs <= TARGETS.switch_gap_ms,
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    // What the nodes complained about (warnings and errors), for a run that went wrong.
    for (const node of cluster.nodes) {
      const lines = node.lines().filter((l) => l.level >= 40);
      const byMsg = new Map<string, number>();
      for (const l of lines) {
        // The reason a node gives (a leader suspected for what), without its varying numbers.
        const reason = typeof l.reason === "string" ? `: ${l.reason.replace(/\d+/g, "N")}` : "";
        const key = `${l.msg}${reason}`;
        byMsg.set(key, (byMsg.get(key) ?? 0) + 1);
      }
      if (byMsg.size > 0) say(`node${node.index} warnings: ${JSON.stringify(Object.fromEntries(byMsg))}`);
      const error = lines.find((l) => l.level >= 50);
      if (error) say(`node${node.index} first error: ${JSON.stringify(error).slice(0, 600)}`);
    }
    await cluster.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
