import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { G1Point } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import {
  type Certificate,
  type CertificateJson,
  certificateToJson,
  type G1Json,
  g1ToJson,
  type Network,
  type NetworkJson,
  networkToJson,
  type VoteKind,
  type VotePoint,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import { SequencerError } from "./errors.js";
import type { BlsVerifier } from "./verifier.js";

export type VerifyRequest =
  | { id: number; kind: "certificate"; certificate: CertificateJson }
  | {
      id: number;
      kind: "shares";
      snapshotId: Hex;
      voteKind: VoteKind;
      point: { app: string; term: string; index: string; chainHash: Hex };
      shares: [Hex, G1Json][];
    };

/** Not a job (no reply): another operator set the worker's certificates may name. */
export interface AddNetworkMessage {
  kind: "network";
  network: NetworkJson;
}

export type VerifyReply =
  | { id: number; ready: true }
  | { id: number; ok: boolean }
  | { id: number; invalid: Hex[] }
  | { id: number; error: string };

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export class VerifierClosedError extends SequencerError {}

/**
 * The worker is compiled JavaScript: in the build it sits beside this module; run from the
 * TypeScript sources (vitest) this module takes the build's copy. new Worker() cannot load .ts.
 */
export function verifyWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts")
    ? new URL("../dist/src/verify-worker.js", here)
    : new URL("./verify-worker.js", here);
}

interface Slot {
  readonly worker: Worker;
  busy: number;
}

/**
 * A few worker threads doing the node's pairings (certificate checks, share checks), so that a
 * round's BLS work never stalls the event loop that serves rounds, clients and long-polls. Jobs
 * go to the least busy worker. A worker that dies fails its jobs and is replaced.
 */
export class WorkerBlsVerifier implements BlsVerifier {
  readonly #networks: Network[];
  readonly #logger: Logger | undefined;
  readonly #url: URL;
  readonly #slots: Slot[] = [];
  readonly #jobs = new Map<
    number,
    { slot: Slot; resolve: (r: VerifyReply) => void; reject: (e: Error) => void }
  >();
  #next = 1;
  #closed = false;

  private constructor(network: Network, url: URL, logger?: Logger) {
    this.#networks = [network];
    this.#url = url;
    this.#logger = logger;
  }

  static async start(
    network: Network,
    options: { size: number; logger?: Logger; workerUrl?: URL },
  ): Promise<WorkerBlsVerifier> {
    const url = options.workerUrl ?? verifyWorkerUrl();
    if (url.protocol === "file:" && !existsSync(fileURLToPath(url)))
      throw new Error(`the verification worker ${fileURLToPath(url)} is missing: run npm run build`);
    const pool = new WorkerBlsVerifier(network, url, options.logger);
    await Promise.all(Array.from({ length: options.size }, () => pool.#spawn()));
    return pool;
  }

  #spawn(): Promise<void> {
    const worker = new Worker(this.#url, {
      name: "avskit-sequencer-verify",
      workerData: { networks: this.#networks.map(networkToJson) },
    });
    const slot: Slot = { worker, busy: 0 };
    return new Promise<void>((started, failed) => {
      worker.on("message", (reply: VerifyReply) => {
        if ("ready" in reply) {
          this.#slots.push(slot);
          worker.unref();
          started();
          return;
        }
        const job = this.#jobs.get(reply.id);
        if (!job) return;
        this.#jobs.delete(reply.id);
        slot.busy--;
        if (slot.busy === 0) worker.unref();
        job.resolve(reply);
      });
      worker.on("error", (error) => {
        this.#logger?.error({ err: error }, "a verification worker failed");
        failed(error);
      });
      worker.on("exit", () => {
        const index = this.#slots.indexOf(slot);
        if (index >= 0) this.#slots.splice(index, 1);
        for (const [id, job] of this.#jobs) {
          if (job.slot !== slot) continue;
          this.#jobs.delete(id);
          job.reject(
            this.#closed
              ? new VerifierClosedError("the verifier is closed")
              : new Error("a verification worker exited"),
          );
        }
        if (!this.#closed) this.#spawn().catch(() => {});
      });
    });
  }

  #run(request: WithoutId<VerifyRequest>): Promise<VerifyReply> {
    if (this.#closed || this.#slots.length === 0)
      return Promise.reject(new VerifierClosedError("the verifier is closed"));
    const slot = this.#slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { slot, resolve, reject });
      slot.busy++;
      slot.worker.ref();
      slot.worker.postMessage({ ...request, id });
    });
  }

  async checkCertificate(cert: Certificate): Promise<boolean> {
    const reply = await this.#run({ kind: "certificate", certificate: certificateToJson(cert) });
    if ("error" in reply) throw new Error(`certificate check failed: ${reply.error}`);
    return "ok" in reply && reply.ok;
  }

  addNetwork(network: Network): void {
    if (this.#networks.some((n) => n.snapshotId === network.snapshotId)) return;
    this.#networks.push(network);
    for (const slot of this.#slots)
      slot.worker.postMessage({ kind: "network", network: networkToJson(network) });
  }

  async invalidShares(
    network: Network,
    kind: VoteKind,
    point: VotePoint,
    shares: ReadonlyMap<Hex, G1Point>,
  ): Promise<Hex[]> {
    const reply = await this.#run({
      kind: "shares",
      snapshotId: network.snapshotId,
      voteKind: kind,
      point: {
        app: point.app,
        term: point.term.toString(),
        index: point.index.toString(),
        chainHash: point.chainHash,
      },
      shares: [...shares].map(([id, share]) => [id, g1ToJson(share)]),
    });
    if ("error" in reply) throw new Error(`share check failed: ${reply.error}`);
    return "invalid" in reply ? reply.invalid : [];
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
