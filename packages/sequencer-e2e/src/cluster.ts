import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type BlsKeyPair, generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import { type LogLine, type RunningCli, runCli } from "@avskit/integration";
import { formatStaticNetwork, type StaticNetworkFileJson, staticMember } from "@avskit/sequencer-protocol";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { ClusterError } from "./errors.js";
import { getJson, postJson, sleep } from "./http.js";
import { PeerProxy } from "./peer-proxy.js";
import { freePort } from "./ports.js";

/** GET /v1/state (PROTOCOL.md, wire.ts). */
export interface NodeState {
  readonly node: Hex;
  readonly term: string;
  readonly leader: Hex;
  readonly ready: boolean;
  readonly snapshotId: Hex;
  readonly apps: Readonly<Record<string, { sequenced: string; locked: string; finalized: string }>>;
}

export interface ClusterOptions {
  /** Number of node processes (default 4). */
  readonly size?: number;
  /** Stake of each member (default 1 each: every member counts the same). */
  readonly stakes?: readonly bigint[];
  /**
   * Default 200ms: five beats per default leader timeout. (At 50 ms an idle 4-node cluster used
   * half a core on tip statements and peer signatures alone; work wakes the leader anyway.)
   */
  readonly heartbeat?: string;
  /** Default 1s. */
  readonly leaderTimeout?: string;
  /** More flags for every node. */
  readonly args?: readonly string[];
  /**
   * More flags for one node (e.g. `--fault equivocate` for the leader of term 1), knowing every
   * node's keys: `leaderOrder` is the nodes sorted as the network sorts its members, so
   * `leaderOrder[0]` leads term 1.
   */
  readonly nodeArgs?: (node: ClusterNode, leaderOrder: readonly ClusterNode[]) => readonly string[];
  /**
   * Put a PeerProxy in front of every node, as its URL in the network file (default true): what
   * partitions need. The benchmark measures the nodes without it.
   */
  readonly proxied?: boolean;
  /** Wait until every node reports ready with one leader (default true). */
  readonly waitReady?: boolean;
  /**
   * Sequence one batch in app `warmup` at start (default true). The node sends rounds only for
   * apps it has: with none, followers hear nothing, suspect every leader and the term churns
   * (reported to the node's author); a first app keeps heartbeats going.
   */
  readonly warmup?: boolean;
  /** The node's log level (default "info"). */
  readonly logLevel?: string;
  /** How long start waits for the nodes to be ready (default 20 s; a loaded machine needs more). */
  readonly readyTimeoutMs?: number;
}

const require = createRequire(import.meta.url);

/** The app Cluster.start sequences one batch in (see ClusterOptions.warmup). */
export const WARMUP_APP = "warmup";

/** The built CLI of @avskit/sequencer (turbo builds the node before these tests run). */
export function sequencerCliPath(): string {
  // The package's entry is dist/src/index.js; its CLI sits beside it.
  return join(dirname(require.resolve("@avskit/sequencer")), "cli.js");
}

/** One member of the cluster: its keys, ports and the processes it ran (one per start). */
export class ClusterNode {
  readonly runs: RunningCli[] = [];
  #process: RunningCli | undefined;

  constructor(
    readonly index: number,
    readonly bls: BlsKeyPair,
    readonly ecdsaKey: Hex,
    readonly port: number,
    readonly metricsPort: number,
    readonly dataDir: string,
    readonly proxy: PeerProxy | undefined,
  ) {}

  get operatorId(): Hex {
    return operatorIdFromPublicKey(this.bls.publicKeyG1) as Hex;
  }

  get address(): Address {
    return privateKeyToAddress(this.ecdsaKey);
  }

  /** The node itself, not through its proxy: what clients and the checker use. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The URL the network file gives: its proxy when there is one. */
  get memberUrl(): string {
    return this.proxy?.url ?? this.url;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  get process(): RunningCli | undefined {
    return this.#process;
  }

  get running(): boolean {
    const child = this.#process?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** JSON log lines of every run so far, oldest first. */
  lines(): LogLine[] {
    return this.runs.flatMap((run) => run.lines);
  }

  /** Everything every run printed (stdout and stderr), for a failure's message. */
  output(): string {
    return this.runs.map((run, i) => `--- run ${i + 1}\n${run.stdout()}${run.stderr()}`).join("\n");
  }

  attach(run: RunningCli): void {
    this.#process = run;
    this.runs.push(run);
  }

  detach(): void {
    this.#process = undefined;
  }
}

const children = new Set<RunningCli>();
// A test runner that dies (or fails before its afterAll) must not leave nodes behind.
process.once("exit", () => {
  for (const run of children) run.child.kill("SIGKILL");
});

/**
 * N real `avskit-sequencer` processes on 127.0.0.1, each with fresh BLS and ECDSA keys, one
 * static network file naming them all, a data dir in a tmp dir, and (by default) a PeerProxy in
 * front of each as its member URL, so that a test can cut a node off.
 */
export class Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly root: string;
  readonly networkFile: string;
  readonly #options: ClusterOptions;
  readonly #cli: string;

  private constructor(root: string, networkFile: string, nodes: ClusterNode[], options: ClusterOptions) {
    this.root = root;
    this.networkFile = networkFile;
    this.nodes = nodes;
    this.#options = options;
    this.#cli = sequencerCliPath();
  }

  static async start(options: ClusterOptions = {}): Promise<Cluster> {
    const size = options.size ?? 4;
    const root = mkdtempSync(join(tmpdir(), "avskit-seq-e2e-"));
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const proxy = options.proxied === false ? undefined : new PeerProxy(port);
      await proxy?.up();
      const dataDir = join(root, `node-${i}`);
      mkdirSync(dataDir, { recursive: true });
      nodes.push(
        new ClusterNode(i, generateKeyPair(), generatePrivateKey(), port, await freePort(), dataDir, proxy),
      );
    }
    const file: StaticNetworkFileJson = {
      version: 1,
      members: nodes.map((node) =>
        staticMember(node.bls, node.address, options.stakes?.[node.index] ?? 1n, node.memberUrl),
      ),
    };
    const networkFile = join(root, "network.json");
    writeFileSync(networkFile, formatStaticNetwork(file));
    const cluster = new Cluster(root, networkFile, nodes, options);
    try {
      if (options.warmup !== false) {
        // The leader of term 1 first, with its warm-up batch, then the rest: they hear rounds as
        // soon as they are up, instead of timing out on a leader still starting (4 processes
        // starting at once on 2 cores take seconds) and changing term before any test begins.
        const first = cluster.leaderOrder[0]!;
        cluster.#spawn(first);
        await cluster.#warmup([first], options.readyTimeoutMs);
        for (const node of nodes) if (node !== first) cluster.#spawn(node);
      } else {
        for (const node of nodes) cluster.#spawn(node);
      }
      if (options.waitReady !== false) {
        await cluster.waitReady(options.readyTimeoutMs);
        // The warm-up batch final everywhere: a test's "before" state does not move under it.
        if (options.warmup !== false) await cluster.#warmupFinal(options.readyTimeoutMs);
      }
    } catch (error) {
      // A cluster that did not come up is not left running: the caller never gets it to close.
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The nodes as the network orders its members (by operator id): term t is led by [(t - 1) mod n]. */
  /**
   * Rewrites the network file with new stakes (same members, same URLs) under the running nodes,
   * as an operator would; the nodes pick it up at their next --network-refresh. Returns the text.
   */
  rewriteStakes(stakes: readonly bigint[]): string {
    const text = formatStaticNetwork({
      version: 1,
      members: this.nodes.map((node) =>
        staticMember(node.bls, node.address, stakes[node.index] ?? 1n, node.memberUrl),
      ),
    });
    writeFileSync(this.networkFile, text);
    return text;
  }

  get leaderOrder(): readonly ClusterNode[] {
    return [...this.nodes].sort((a, b) => (a.operatorId.toLowerCase() < b.operatorId.toLowerCase() ? -1 : 1));
  }

  node(i: number): ClusterNode {
    const node = this.nodes[i];
    if (!node) throw new ClusterError(`no node ${i} in a cluster of ${this.nodes.length}`);
    return node;
  }

  byOperatorId(operatorId: string): ClusterNode {
    const node = this.nodes.find((n) => n.operatorId.toLowerCase() === operatorId.toLowerCase());
    if (!node) throw new ClusterError(`no member ${operatorId}`);
    return node;
  }

  #args(node: ClusterNode): string[] {
    const o = this.#options;
    return [
      "--listen",
      `127.0.0.1:${node.port}`,
      "--data-dir",
      node.dataDir,
      "--network-file",
      this.networkFile,
      "--metrics-addr",
      `127.0.0.1:${node.metricsPort}`,
      "--heartbeat",
      o.heartbeat ?? "200ms",
      "--leader-timeout",
      o.leaderTimeout ?? "1s",
      "--log-level",
      o.logLevel ?? "info",
      ...(o.args ?? []),
      ...(o.nodeArgs?.(node, this.leaderOrder) ?? []),
    ];
  }

  #spawn(node: ClusterNode): void {
    // Keys through the environment, never on a command line other processes can read.
    const env = {
      AVSKIT_SEQUENCER_BLS_PRIVATE_KEY: `0x${node.bls.secretKey.toString(16).padStart(64, "0")}`,
      AVSKIT_SEQUENCER_ECDSA_PRIVATE_KEY: node.ecdsaKey,
      AVSKIT_SEQUENCER_TEST_FAULTS: "1",
    };
    const run = runCli(this.#cli, this.#args(node), env);
    children.add(run);
    void run.ended.then(() => children.delete(run));
    node.attach(run);
  }

  /** One batch in app WARMUP_APP, with a fixed id (so that sending it to several nodes is one batch). */
  async #warmup(to: readonly ClusterNode[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const body = {
      batches: [{ id: `0x${"00".repeat(15)}01`, body: Buffer.from("warmup").toString("base64") }],
    };
    for (;;) {
      const replies = await Promise.all(
        to.map((n) => postJson(`${n.url}/v1/apps/${WARMUP_APP}/batches`, body, {}, 1_000)),
      );
      if (replies.some((r) => r?.status === 200)) return;
      const dead = this.nodes.find((n) => n.process && !n.running);
      if (dead)
        throw new ClusterError(`node ${dead.index} exited at start-up:\n${dead.output().slice(-4000)}`);
      if (Date.now() > deadline)
        throw new ClusterError(`no node took the warm-up batch: ${JSON.stringify(replies)}`);
      await sleep(100);
    }
  }

  async #warmupFinal(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await this.states();
      if (states.every((st) => st?.apps[WARMUP_APP]?.finalized === "1")) return;
      if (Date.now() > deadline)
        throw new ClusterError(`warm-up batch not final everywhere: ${JSON.stringify(states)}`);
      await sleep(50);
    }
  }

  /** Every running node answers /v1/state ready, all naming one leader and one term. */
  async waitReady(timeoutMs = 60_000): Promise<NodeState[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      const dead = this.nodes.find((n) => n.process && !n.running);
      if (dead)
        throw new ClusterError(`node ${dead.index} exited at start-up:\n${dead.output().slice(-4000)}`);
      const states = await Promise.all(running.map((n) => this.state(n.index)));
      const ready = states.filter((s): s is NodeState => s?.ready === true);
      if (ready.length === running.length && new Set(ready.map((s) => `${s.term}/${s.leader}`)).size === 1) {
        return ready;
      }
      if (Date.now() > deadline) {
        throw new ClusterError(
          `cluster not ready after ${timeoutMs} ms: ${JSON.stringify(states)}\n${this.nodes
            .map((n) => `node ${n.index}:\n${n.output().slice(-1500)}`)
            .join("\n")}`,
        );
      }
      await sleep(100);
    }
  }

  /** A node's /v1/state; undefined when it is down or does not answer within 1 s. */
  async state(i: number): Promise<NodeState | undefined> {
    const reply = await getJson(`${this.node(i).url}/v1/state`, 1_000);
    return reply?.status === 200 ? (reply.body as NodeState) : undefined;
  }

  async states(): Promise<(NodeState | undefined)[]> {
    return Promise.all(this.nodes.map((n) => this.state(n.index)));
  }

  /**
   * The leader most running nodes name, with its term (undefined while they disagree or none is
   * ready): the one a test kills or cuts off.
   */
  async leader(
    among: readonly number[] = this.nodes.map((n) => n.index),
  ): Promise<{ node: ClusterNode; term: bigint } | undefined> {
    const states = (await Promise.all(among.map((i) => this.state(i)))).filter(
      (s): s is NodeState => s?.ready === true,
    );
    const votes = new Map<string, number>();
    for (const s of states) votes.set(`${s.term}/${s.leader}`, (votes.get(`${s.term}/${s.leader}`) ?? 0) + 1);
    const [best] = [...votes].sort((a, b) => b[1] - a[1]);
    if (!best || best[1] * 2 <= among.length) return undefined;
    const [term, leader] = best[0].split("/") as [string, string];
    return { node: this.byOperatorId(leader), term: BigInt(term) };
  }

  /** SIGKILL: no goodbye, nothing flushed beyond what the node already made durable. */
  async kill(i: number): Promise<void> {
    const node = this.node(i);
    const run = node.process;
    if (!run) return;
    run.child.kill("SIGKILL");
    await run.ended;
    node.detach();
  }

  /** SIGTERM and wait for the exit; fails when the node does not exit cleanly within 10 s. */
  async stop(i: number): Promise<number | null> {
    const node = this.node(i);
    const run = node.process;
    if (!run) return null;
    run.child.kill("SIGTERM");
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 10_000);
    const code = await run.exited;
    clearTimeout(timer);
    node.detach();
    return code;
  }

  /** Starts a stopped node again, on its data dir, or on an empty one (`wipe`). */
  restart(i: number, options: { wipe?: boolean } = {}): void {
    const node = this.node(i);
    if (node.running) throw new ClusterError(`node ${i} is still running`);
    if (options.wipe) {
      rmSync(node.dataDir, { recursive: true, force: true });
      mkdirSync(node.dataDir, { recursive: true });
    }
    this.#spawn(node);
  }

  /**
   * Cuts node i off from every other node, both ways: its proxy drops every request (nothing
   * reaches it), and every other proxy drops requests signed as coming from it (nothing it sends
   * arrives). Clients that talk to it directly still reach it.
   */
  partition(i: number): void {
    const cut = this.node(i);
    if (!cut.proxy) throw new ClusterError("partitions need the cluster started with proxied: true");
    cut.proxy.isolate();
    for (const other of this.nodes) if (other !== cut) other.proxy?.block(cut.operatorId);
  }

  heal(i: number): void {
    const cut = this.node(i);
    cut.proxy?.rejoin();
    for (const other of this.nodes) other.proxy?.unblock(cut.operatorId);
  }

  /** Kills every node, closes the proxies, removes the tmp dir. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.index)));
    await Promise.all(this.nodes.map((n) => n.proxy?.down()));
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Lines of every node matching `match`, with the node's index. */
  grep(match: (line: LogLine) => boolean): { node: number; line: LogLine }[] {
    return this.nodes.flatMap((n) =>
      n
        .lines()
        .filter(match)
        .map((line) => ({ node: n.index, line })),
    );
  }
}
