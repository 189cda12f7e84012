import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BlsKeyPair } from "@avskit/bls";
import { type LogLine, type RunningCli, runCli } from "@avskit/integration";
import { type Cluster, freePort, getJson, sleep } from "@avskit/sequencer-e2e";
import type { Hex } from "viem";

/** The built service CLI (turbo builds the package before its tests run). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "src", "cli.js");

const children = new Set<RunningCli>();
// A test runner that dies (or fails before its afterAll) must not leave replicas behind.
process.once("exit", () => {
  for (const run of children) run.child.kill("SIGKILL");
});

export interface Status {
  readonly asOfIndex: number;
  readonly finalizedIndex: number;
  readonly applied: number;
  readonly refused: number;
  readonly digest: string;
}

/** The operator a replica runs for: its keys. */
export interface ReplicaOperator {
  readonly operatorId: Hex;
  readonly bls: BlsKeyPair;
  readonly ecdsaKey: Hex;
}

/**
 * One downtime-log process per operator (beside each node of a sequencer-e2e Cluster, say), with
 * that operator's keys (through the environment), the given network options and small
 * intervals, so a test sees an outage confirmed within a second or two.
 */
export class Replicas {
  readonly ports: number[] = [];
  readonly runs: RunningCli[][] = [];
  readonly #processes: (RunningCli | undefined)[] = [];
  readonly #operators: readonly ReplicaOperator[];
  readonly #root: string;
  readonly #args: readonly string[];

  private constructor(operators: readonly ReplicaOperator[], root: string, args: readonly string[]) {
    this.#operators = operators;
    this.#root = root;
    this.#args = args;
  }

  /** Beside a cluster's nodes, on its static network file. */
  static start(cluster: Cluster, args: readonly string[] = []): Promise<Replicas> {
    return Replicas.startFor(cluster.nodes, cluster.root, ["--network-file", cluster.networkFile, ...args]);
  }

  /** For these operators; `args` names the network (a file, or the registries). */
  static async startFor(
    operators: readonly ReplicaOperator[],
    root: string,
    args: readonly string[],
  ): Promise<Replicas> {
    const replicas = new Replicas(operators, root, args);
    for (let i = 0; i < operators.length; i++) {
      replicas.ports.push(await freePort());
      replicas.runs.push([]);
    }
    for (let i = 0; i < operators.length; i++) replicas.spawn(i);
    try {
      await replicas.waitUp();
    } catch (error) {
      await replicas.close();
      throw error;
    }
    return replicas;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  dataDir(i: number): string {
    return join(this.#root, `downtime-${i}`);
  }

  spawn(i: number): void {
    const node = this.#operators[i]!;
    const peers = this.#operators
      .map((n, j) => `${n.operatorId}=${this.url(j)}`)
      .filter((_, j) => j !== i)
      .join(",");
    mkdirSync(this.dataDir(i), { recursive: true });
    const run = runCli(
      CLI,
      [
        "--data-dir",
        this.dataDir(i),
        "--listen",
        `127.0.0.1:${this.ports[i]}`,
        "--metrics-addr",
        "none",
        "--peers",
        peers,
        "--probe-interval",
        "300ms",
        // Generous: on a loaded 2-core machine a healthy node's reply can take most of a second.
        "--probe-timeout",
        "3s",
        "--suspect-after",
        "3",
        "--resubmit-after",
        "3s",
        "--lag-interval",
        "500ms",
        ...this.#args,
      ],
      {
        AVSKIT_DOWNTIME_BLS_PRIVATE_KEY: `0x${node.bls.secretKey.toString(16).padStart(64, "0")}`,
        AVSKIT_DOWNTIME_ECDSA_PRIVATE_KEY: node.ecdsaKey,
      },
    );
    this.#processes[i] = run;
    this.runs[i]!.push(run);
    children.add(run);
    void run.ended.then(() => children.delete(run));
  }

  async kill(i: number): Promise<void> {
    const run = this.#processes[i];
    if (run === undefined) return;
    run.child.kill("SIGKILL");
    await run.ended;
    this.#processes[i] = undefined;
  }

  async stop(i: number): Promise<number | null> {
    const run = this.#processes[i];
    if (run === undefined) return null;
    run.child.kill("SIGTERM");
    const code = await run.exited;
    this.#processes[i] = undefined;
    return code;
  }

  restart(i: number, options: { wipe?: boolean } = {}): void {
    if (this.#processes[i] !== undefined) throw new Error(`replica ${i} is running`);
    if (options.wipe) rmSync(this.dataDir(i), { recursive: true, force: true });
    this.spawn(i);
  }

  /** Every log line of replica i, all runs. */
  lines(i: number): LogLine[] {
    return this.runs[i]!.flatMap((run) => run.lines);
  }

  output(i: number): string {
    return this.runs[i]!.map((run) => `${run.stdout()}${run.stderr()}`).join("\n--- restart\n");
  }

  /** The raw text of a GET (what byte-identity is about), or undefined when it does not answer. */
  async text(i: number, path: string): Promise<string | undefined> {
    try {
      const reply = await fetch(`${this.url(i)}${path}`, { signal: AbortSignal.timeout(2_000) });
      return reply.ok ? await reply.text() : undefined;
    } catch {
      return undefined;
    }
  }

  async status(i: number): Promise<Status | undefined> {
    const reply = await getJson(`${this.url(i)}/v1/status`, 2_000);
    return reply?.status === 200 ? (reply.body as Status) : undefined;
  }

  /** The status, waiting for an answer (a loaded machine can miss one 2 s window). */
  async mustStatus(i: number): Promise<Status> {
    let status: Status | undefined;
    await this.waitFor(
      async () => {
        status = await this.status(i);
        return status !== undefined;
      },
      30_000,
      `replica ${i}'s status`,
    );
    return status!;
  }

  async waitUp(among: readonly number[] = this.ports.map((_, i) => i), timeoutMs = 60_000): Promise<void> {
    await this.waitFor(
      async () => (await Promise.all(among.map((i) => this.status(i)))).every(Boolean),
      timeoutMs,
      "replicas up",
    );
  }

  /** Every one of `among` has applied the log up to at least `index`. */
  async waitIndex(
    index: number,
    among: readonly number[] = this.ports.map((_, i) => i),
    timeoutMs = 60_000,
  ): Promise<void> {
    await this.waitFor(
      async () =>
        (await Promise.all(among.map((i) => this.status(i)))).every(
          (s) => s !== undefined && s.asOfIndex >= index,
        ),
      timeoutMs,
      `replicas ${among.join(",")} at index ${index}`,
    );
  }

  async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}\n${this.ports.map((_, i) => `replica ${i}:\n${this.output(i).slice(-2500)}`).join("\n")}`,
        );
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.ports.map((_, i) => this.kill(i)));
  }
}
