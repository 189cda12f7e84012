import { writeFileSync } from "node:fs";
import { SequencerClient } from "@avskit/sequencer-client";
import {
  formatStaticNetwork,
  type Network,
  type NodeStateJson,
  parseStaticNetwork,
  staticMember,
} from "@avskit/sequencer-protocol";
import type { DevnetOperator } from "./operators.js";
import { LOCALHOST } from "./ports.js";
import type { ServiceSpec } from "./service-process.js";
import type { OnChainTask } from "./watch/chain-watcher.js";
import { label } from "./watch/format.js";

/** The app the devnet sequences: one batch per task created on chain. */
export const SEQUENCER_APP = "tasks";

export interface SequencerNode {
  readonly operator: DevnetOperator;
  readonly port: number;
  readonly metricsPort: number;
  readonly dataDir: string;
}

export const sequencerUrl = (port: number) => `http://${LOCALHOST}:${port}`;

/**
 * The sequencer's network: every devnet operator, its registered BLS and ECDSA keys, its
 * deposit as stake, and the URL of its node. A static file (the node also reads a network from
 * chain, but the devnet's operators are registered with `devnet-<name>` sockets, not URLs).
 */
export function writeSequencerNetwork(file: string, nodes: readonly SequencerNode[]): Network {
  const text = formatStaticNetwork({
    version: 1,
    members: nodes.map((n) =>
      staticMember(n.operator.blsKeyPair, n.operator.address, n.operator.deposit, sequencerUrl(n.port)),
    ),
  });
  writeFileSync(file, text, { mode: 0o600 });
  return parseStaticNetwork(text);
}

export interface SequencerServiceOptions {
  readonly node: SequencerNode;
  readonly networkFile: string;
  readonly logLevel?: string;
}

export const sequencerName = (operator: DevnetOperator) =>
  `sequencer-${operator.name.replace(/^operator-/, "")}`;

export function sequencerService(options: SequencerServiceOptions): ServiceSpec {
  const { node } = options;
  return {
    name: sequencerName(node.operator),
    packageName: "@avskit/sequencer",
    binName: "avskit-sequencer",
    args: [
      "--listen",
      `${LOCALHOST}:${node.port}`,
      "--data-dir",
      node.dataDir,
      "--network-file",
      options.networkFile,
      "--metrics-addr",
      `${LOCALHOST}:${node.metricsPort}`,
      "--bls-keystore-path",
      node.operator.blsKeyPath,
      "--ecdsa-keystore-path",
      node.operator.ecdsaKeyPath,
      "--log-level",
      options.logLevel ?? "info",
    ],
    // The operator's own key files; their password through the environment, never as a flag.
    env: {
      AVSKIT_SEQUENCER_BLS_KEYSTORE_PASSWORD: node.operator.password,
      AVSKIT_SEQUENCER_ECDSA_KEYSTORE_PASSWORD: node.operator.password,
    },
    healthUrl: `${sequencerUrl(node.port)}/v1/state`,
    metricsUrl: `http://${LOCALHOST}:${node.metricsPort}/metrics`,
    summary: `API ${sequencerUrl(node.port)}  metrics http://${LOCALHOST}:${node.metricsPort}/metrics`,
  };
}

export interface SequencerWatchOptions {
  readonly network: Network;
  readonly nodes: readonly SequencerNode[];
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** How often the nodes' /v1/state is read (default 1 s). */
  readonly intervalMs?: number;
}

/**
 * The sequencer beside the tasks: each created task is sent as one batch (through the SDK, to
 * any node), and a `sequencer` line shows each node's finalized index and the leader whenever
 * they change (at most one line a second).
 */
export class SequencerWatch {
  readonly #options: SequencerWatchOptions;
  readonly #client: SequencerClient;
  readonly #names = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #last = "";
  #sent = 0;
  #polling: Promise<void> | undefined;
  #finalized: number | undefined;
  #stopped = false;

  constructor(options: SequencerWatchOptions) {
    this.#options = options;
    this.#client = new SequencerClient(SEQUENCER_APP, {
      network: options.network,
      failoverTimeoutMs: 10_000,
    });
    for (const node of options.nodes)
      this.#names.set(node.operator.operatorId.toLowerCase(), node.operator.name);
  }

  start(): void {
    // A first batch at once: the log exists before the first task (and nodes with an app hear
    // the leader's heartbeats).
    this.#client.send([{ event: "devnet started", at: new Date().toISOString() }]).then(
      () => {
        this.#sent++;
      },
      (error: Error) => this.#notSent("first batch", error),
    );
    this.#timer = setInterval(() => {
      this.#polling ??= this.poll().finally(() => {
        this.#polling = undefined;
      });
    }, this.#options.intervalMs ?? 1_000);
  }

  /** Stops polling after one last look (the summary's figures). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#polling;
    await this.poll();
  }

  /** Sequences a created task (fire and forget: the view does not wait for the sequencer). */
  onTaskCreated(task: OnChainTask): void {
    if (this.#stopped) return;
    const body = {
      taskIndex: task.taskIndex,
      a: task.a.toString(),
      b: task.b.toString(),
      block: task.taskCreatedBlock,
    };
    this.#client.send([body]).then(
      () => {
        this.#sent++;
      },
      (error: Error) => this.#notSent(`task ${task.taskIndex}`, error),
    );
  }

  /** A send that failed; not an error once stopping, when the nodes it tries are shut down under it. */
  #notSent(what: string, error: Error): void {
    if (!this.#stopped) this.#options.err(`sequencer: ${what} not sent: ${error.message}`);
  }

  get sent(): number {
    return this.#sent;
  }

  /** Highest finalized index of the app any node reported so far. */
  get finalized(): number | undefined {
    return this.#finalized;
  }

  async poll(): Promise<void> {
    const states = await Promise.all(
      this.#options.nodes.map(async (node) => {
        try {
          const reply = await fetch(`${sequencerUrl(node.port)}/v1/state`, {
            signal: AbortSignal.timeout(900),
          });
          return reply.ok ? ((await reply.json()) as NodeStateJson) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    const leaders = new Set(
      states.filter((s) => s?.ready).map((s) => `${s!.leader.toLowerCase()}/${s!.term}`),
    );
    const [only] = leaders;
    const leader =
      leaders.size === 1 && only
        ? `leader ${this.#names.get(only.split("/")[0]!) ?? only.slice(0, 10)} (term ${only.split("/")[1]})`
        : leaders.size === 0
          ? "no leader"
          : "leader changing";
    for (const state of states) {
      const index = state?.apps[SEQUENCER_APP]?.finalized;
      if (index !== undefined) this.#finalized = Math.max(this.#finalized ?? 0, Number(index));
      else if (state) this.#finalized ??= 0;
    }
    const finalized = this.#options.nodes
      .map((node, i) => {
        const state = states[i];
        const index = state?.apps[SEQUENCER_APP]?.finalized ?? (state ? "0" : "down");
        return `${node.operator.name} ${index}`;
      })
      .join(" · ");
    const line = `${label("sequencer")}${leader}; finalized ${finalized}`;
    if (line !== this.#last) this.#options.out(line);
    this.#last = line;
  }
}

/** One operator's downtime-log service, beside its sequencer node. */
export interface DowntimeReplica {
  readonly node: SequencerNode;
  readonly port: number;
  readonly metricsPort: number;
  readonly dataDir: string;
}

export const downtimeName = (operator: DevnetOperator) =>
  `downtime-${operator.name.replace(/^operator-/, "")}`;

export interface DowntimeServiceOptions {
  readonly replica: DowntimeReplica;
  readonly all: readonly DowntimeReplica[];
  readonly networkFile: string;
  readonly logLevel?: string;
}

/**
 * The operator's downtime log: its own keys (the passwords through the environment), the
 * sequencer's network file, and every other operator's downtime-log URL for confirmations.
 * Intervals are the devnet's: an outage is confirmed within a few seconds.
 */
export function downtimeService(options: DowntimeServiceOptions): ServiceSpec {
  const { replica } = options;
  const { operator } = replica.node;
  const peers = options.all
    .filter((r) => r !== replica)
    .map((r) => `${r.node.operator.operatorId.toLowerCase()}=${sequencerUrl(r.port)}`)
    .join(",");
  return {
    name: downtimeName(operator),
    packageName: "@avskit/downtime-log",
    binName: "avskit-downtime-log",
    args: [
      "--network-file",
      options.networkFile,
      "--data-dir",
      replica.dataDir,
      "--listen",
      `${LOCALHOST}:${replica.port}`,
      "--metrics-addr",
      `${LOCALHOST}:${replica.metricsPort}`,
      "--peers",
      peers,
      "--bls-keystore-path",
      operator.blsKeyPath,
      "--ecdsa-keystore-path",
      operator.ecdsaKeyPath,
      "--probe-interval",
      "500ms",
      "--probe-timeout",
      "1s",
      "--suspect-after",
      "3",
      "--log-level",
      options.logLevel ?? "info",
    ],
    env: {
      AVSKIT_DOWNTIME_BLS_KEYSTORE_PASSWORD: operator.password,
      AVSKIT_DOWNTIME_ECDSA_KEYSTORE_PASSWORD: operator.password,
    },
    healthUrl: `${sequencerUrl(replica.port)}/health`,
    summary: `API ${sequencerUrl(replica.port)}  metrics http://${LOCALHOST}:${replica.metricsPort}/metrics`,
  };
}
