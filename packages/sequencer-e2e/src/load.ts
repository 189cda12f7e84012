import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { postJson, sleep } from "./http.js";

/** One batch as a client sends it: its id chosen by the client, so that a resend is the same batch. */
export interface OutgoingBatch {
  readonly id: Hex;
  readonly body: Uint8Array;
}

export function newBatch(bytes = 32): OutgoingBatch {
  return { id: `0x${randomBytes(16).toString("hex")}`, body: randomBytes(bytes) };
}

/**
 * POST /v1/apps/:app/batches straight to one node (no SDK): the acknowledged ids, or undefined
 * when the node refused or did not answer.
 */
export async function postBatches(
  url: string,
  app: string,
  batches: readonly OutgoingBatch[],
  timeoutMs = 5_000,
): Promise<Hex[] | undefined> {
  const reply = await postJson(
    `${url}/v1/apps/${app}/batches`,
    { batches: batches.map((b) => ({ id: b.id, body: Buffer.from(b.body).toString("base64") })) },
    {},
    timeoutMs,
  );
  if (reply?.status !== 200) return undefined;
  return (reply.body as { ids: Hex[] }).ids.map((id) => id.toLowerCase() as Hex);
}

export interface LoadOptions {
  readonly app: string;
  /** Node URLs the clients spread over; read on every send, so a test can drop a killed node. */
  readonly urls: () => readonly string[];
  readonly clients?: number;
  readonly batchesPerRequest?: number;
  readonly bodyBytes?: number;
  /** Pause between one client's requests (default 100 ms: load, not a benchmark's flood). */
  readonly pauseMs?: number;
}

/**
 * A few concurrent clients posting batches to the nodes until stopped, recording every id a node
 * acknowledged (and when), the ground truth for "every acknowledged batch is final exactly once".
 */
export class Load {
  readonly acked = new Map<string, number>();
  #running = false;
  #loops: Promise<void>[] = [];
  refused = 0;
  readonly #options: LoadOptions;

  constructor(options: LoadOptions) {
    this.#options = options;
  }

  start(): this {
    this.#running = true;
    const clients = this.#options.clients ?? 4;
    for (let c = 0; c < clients; c++) this.#loops.push(this.#client(c));
    return this;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #client(c: number): Promise<void> {
    let turn = c;
    while (this.#running) {
      const urls = this.#options.urls();
      const url = urls[turn++ % Math.max(urls.length, 1)];
      if (!url) {
        await sleep(50);
        continue;
      }
      const batches = Array.from({ length: this.#options.batchesPerRequest ?? 10 }, () =>
        newBatch(this.#options.bodyBytes ?? 32),
      );
      const ids = await postBatches(url, this.#options.app, batches, 2_000);
      if (ids) for (const id of ids) this.acked.set(id, Date.now());
      else this.refused++;
      await sleep(this.#options.pauseMs ?? 100);
    }
  }
}
