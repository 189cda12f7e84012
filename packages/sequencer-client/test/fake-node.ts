/*
 * Stand-ins for the node (`packages/sequencer`), serving the client API of PROTOCOL.md from a log
 * they are handed, so that a test can make one of them serve what a real node never would
 * (forged certificates, tampered bodies, a lying prevChainHash) and watch the client refuse it.
 * Everything they serve is built with the real library: a real 4-member static network, real BLS
 * shares (`signVote`) aggregated by `buildCertificate`, the library's wire codecs. The SDK
 * against real nodes is tested by the sequencer's multi-process end-to-end suite.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { aggregateG1, type BlsKeyPair, generateKeyPair } from "@avskit/bls";
import {
  type BatchStatus,
  batchStatusToJson,
  buildCertificate,
  type Certificate,
  type FinalizedPage,
  type FinalizedTip,
  finalizedPageToJson,
  finalizedTipToJson,
  genesisHash,
  type Network,
  newViewToJson,
  nextChainHash,
  nodeStateToJson,
  parseStaticNetwork,
  signViewChangeVote,
  signVote,
  staticMember,
  submitBatchesRequestFromJson,
  submitBatchesResponseToJson,
} from "@avskit/sequencer-protocol";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

export interface TestNetwork {
  readonly network: Network;
  /** Secret keys by operator id. */
  readonly keys: ReadonlyMap<Hex, BlsKeyPair>;
  /** Operator ids by stake: the 40 % member first, then the three 20 % ones. */
  readonly byStake: readonly Hex[];
  /** ECDSA keys by operator id (view-change votes). */
  readonly ecdsa: ReadonlyMap<Hex, Hex>;
  /** The static network file's text (what a change's descriptor carries). */
  readonly text: string;
}

/** 4 members with stakes 40/20/20/20 (θ 67): the three small ones together hold 60 %, below quorum. */
export function testNetwork(): TestNetwork {
  const stakes = [40n, 20n, 20n, 20n];
  const pairs = stakes.map(() => generateKeyPair());
  const ecdsaKeys = stakes.map(() => generatePrivateKey());
  const members = pairs.map((pair, i) =>
    staticMember(pair, privateKeyToAccount(ecdsaKeys[i]!).address, stakes[i]!, `http://127.0.0.1:${9 + i}`),
  );
  const text = JSON.stringify({ version: 1, members });
  const network = parseStaticNetwork(text);
  const keys = new Map<Hex, BlsKeyPair>();
  const ecdsa = new Map<Hex, Hex>();
  for (const member of network.members) {
    const i = pairs.findIndex((p) => member.pubkeyG1.equals(p.publicKeyG1));
    keys.set(member.operatorId, pairs[i]!);
    ecdsa.set(member.operatorId, ecdsaKeys[i]!);
  }
  const byStake = [...network.members].sort((a, b) => Number(b.stake - a.stake)).map((m) => m.operatorId);
  return { network, keys, byStake, ecdsa, text };
}

/**
 * The record a node keeps of a change from `from` to `to` at `term` (GET /v1/network-changes):
 * a new view whose votes, by `voters` of `from` (default: all), name `to`'s snapshot.
 */
export function networkChange(
  from: TestNetwork,
  to: TestNetwork,
  options: { term?: bigint; voters?: readonly Hex[]; nextText?: string } = {},
): unknown {
  const term = options.term ?? 2n;
  const votes = (options.voters ?? from.byStake).map((id) =>
    signViewChangeVote(from.ecdsa.get(id)!, from.network, id, term, {}, to.network.snapshotId),
  );
  return newViewToJson({
    term,
    votes,
    base: {},
    next: { snapshot: to.network.snapshot, text: options.nextText ?? to.text },
    from: { snapshot: from.network.snapshot, text: from.text },
  });
}

/** A finality certificate over (app, 1, index, chainHash) signed by `signers` (default: all). */
export function certify(
  t: TestNetwork,
  app: string,
  index: bigint,
  chainHash: Hex,
  signers: readonly Hex[] = t.byStake,
): Certificate {
  const point = { app, term: 1n, index, chainHash };
  const shares = new Map(
    signers.map((id) => [id, signVote(t.keys.get(id)!.secretKey, "finalize", point, t.network.snapshotId)]),
  );
  const certificate = buildCertificate(t.network, "finalize", point, shares);
  if (certificate !== undefined) return certificate;
  // Below quorum buildCertificate declines; a hostile node aggregates the shares by hand.
  return {
    kind: "finalize",
    ...point,
    snapshotId: t.network.snapshotId,
    nonSigners: t.network.members.filter((m) => !signers.includes(m.operatorId)).map((m) => m.operatorId),
    signature: aggregateG1([...shares.values()]),
  };
}

interface Entry {
  readonly id: Hex;
  readonly body: Uint8Array;
  readonly chainHash: Hex;
}

/** One app's log as the cluster has it: entries, and finality certificates at some indexes. */
export class FakeLog {
  readonly entries: Entry[] = [];
  readonly certificates = new Map<bigint, Certificate>();
  finalized = 0n;
  readonly #waiters = new Set<() => void>();
  constructor(
    /** The set certificates are made in from now on (a test moves it to make a change). */
    public t: TestNetwork,
    readonly app: string,
  ) {}

  hashAt(index: bigint): Hex {
    return index === 0n ? genesisHash(this.app) : this.entries[Number(index) - 1]!.chainHash;
  }

  append(id: Hex, body: Uint8Array): bigint {
    const existing = this.entries.findIndex((e) => e.id === id);
    if (existing >= 0) return BigInt(existing + 1);
    const chainHash = nextChainHash(this.hashAt(BigInt(this.entries.length)), hexToBytes(id), body);
    this.entries.push({ id, body, chainHash });
    return BigInt(this.entries.length);
  }

  /** Appends and certifies the bodies as one finality point. */
  publish(bodies: readonly (string | Uint8Array)[]): void {
    for (const body of bodies) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      this.append(bytesToHex(crypto.getRandomValues(new Uint8Array(16))), bytes);
    }
    this.finalizeAll();
  }

  finalizeAll(): void {
    const index = BigInt(this.entries.length);
    if (index === this.finalized) return;
    this.certificates.set(index, certify(this.t, this.app, index, this.hashAt(index)));
    this.finalized = index;
    for (const wake of this.#waiters) wake();
  }

  /** Resolves when something is finalized or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiters.add(wake);
    });
  }

  /** The page `(after, next finality point]`, as an honest node serves it. */
  page(after: bigint): FinalizedPage {
    let end: bigint | undefined;
    for (const index of this.certificates.keys()) {
      if (index > after && (end === undefined || index < end)) end = index;
    }
    const batches = [];
    for (let i = after + 1n; end !== undefined && i <= end; i++) {
      const entry = this.entries[Number(i) - 1]!;
      batches.push({ index: i, id: entry.id, body: entry.body });
    }
    return {
      app: this.app,
      after,
      prevChainHash: this.hashAt(after),
      batches,
      finality: end === undefined ? null : this.certificates.get(end)!,
      lastFinalized: this.finalized,
    };
  }
}

export interface FakeNodeOptions {
  /** Rewrites each page before it is encoded: how a hostile node lies. */
  readonly tamper?: (page: FinalizedPage) => FinalizedPage;
  /** Finalizes accepted batches at once (default true). */
  readonly finalizeOnAccept?: boolean;
  /** Answers every POST with this refusal. */
  readonly refuseSend?: { status: number; code: string; retryable: boolean };
  readonly ready?: boolean;
  /** Serves the pages of a node that has nothing yet (after holding the long-poll). */
  readonly behind?: boolean;
  /** The snapshot it says it serves in GET /v1/state (default: the network's). */
  readonly snapshotId?: Hex;
  /** What it serves at GET /v1/network-changes (default: 404, as a node from before changes). */
  readonly networkChanges?: readonly unknown[];
  readonly tamperTip?: (tip: FinalizedTip) => FinalizedTip;
  readonly tamperStatus?: (status: BatchStatus) => BatchStatus;
}

/** A node of the cluster over 127.0.0.1 serving `log`, counting the requests it gets. */
export class FakeNode {
  readonly requests: string[] = [];
  #server: Server;
  url = "";

  private constructor(
    readonly log: FakeLog,
    readonly options: FakeNodeOptions,
  ) {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) =>
        send(res, 500, { code: "INTERNAL", message: String(error), retryable: true }),
      );
    });
  }

  static async start(log: FakeLog, options: FakeNodeOptions = {}): Promise<FakeNode> {
    const node = new FakeNode(log, options);
    await new Promise<void>((resolve) => node.#server.listen(0, "127.0.0.1", resolve));
    node.url = `http://127.0.0.1:${(node.#server.address() as AddressInfo).port}`;
    return node;
  }

  count(prefix: string): number {
    return this.requests.filter((r) => r.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    this.requests.push(`${req.method} ${url.pathname}`);
    const wait = Math.min(Number(url.searchParams.get("wait") ?? 0), 30_000);
    const log = this.log;
    const app = `/v1/apps/${log.app}`;
    if (req.method === "GET" && url.pathname === "/v1/state") {
      return send(
        res,
        200,
        nodeStateToJson({
          node: log.t.network.members[0]!.operatorId,
          term: 1n,
          leader: log.t.network.members[0]!.operatorId,
          ready: this.options.ready ?? true,
          snapshotId: this.options.snapshotId ?? log.t.network.snapshotId,
          apps: {},
        }),
      );
    }
    if (req.method === "GET" && url.pathname === "/v1/network-changes" && this.options.networkChanges) {
      return send(res, 200, { changes: this.options.networkChanges });
    }
    if (req.method === "GET" && url.pathname === `${app}/batches`) {
      const after = BigInt(url.searchParams.get("after") ?? "0");
      if (this.options.behind) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        const empty = {
          app: log.app,
          after,
          prevChainHash: genesisHash(log.app),
          batches: [],
          finality: null,
          lastFinalized: 0n,
        };
        return send(res, 200, finalizedPageToJson(empty));
      }
      if (log.finalized <= after) await log.changed(wait);
      const page = log.page(after);
      return send(res, 200, finalizedPageToJson(this.options.tamper ? this.options.tamper(page) : page));
    }
    if (req.method === "GET" && url.pathname === `${app}/finalized`) {
      return send(
        res,
        200,
        finalizedTipToJson(
          (this.options.tamperTip ?? ((tip) => tip))({
            index: log.finalized,
            chainHash: log.hashAt(log.finalized),
            finality: log.certificates.get(log.finalized) ?? null,
          }),
        ),
      );
    }
    if (req.method === "GET" && url.pathname.startsWith(`${app}/ids/`)) {
      const id = url.pathname.slice(`${app}/ids/`.length) as Hex;
      const deadline = Date.now() + wait;
      for (;;) {
        const at = log.entries.findIndex((e) => e.id === id);
        const index = BigInt(at + 1);
        if (at >= 0 && index <= log.finalized) {
          const status: BatchStatus = { id, state: "finalized", index };
          return send(res, 200, batchStatusToJson(this.options.tamperStatus?.(status) ?? status));
        }
        if (Date.now() >= deadline) {
          return send(
            res,
            200,
            batchStatusToJson(at >= 0 ? { id, state: "sequenced", index } : { id, state: "pending" }),
          );
        }
        await log.changed(deadline - Date.now());
      }
    }
    if (req.method === "POST" && url.pathname === `${app}/batches`) {
      const refusal = this.options.refuseSend;
      if (refusal)
        return send(res, refusal.status, {
          code: refusal.code,
          message: "refused",
          retryable: refusal.retryable,
        });
      const request = submitBatchesRequestFromJson(JSON.parse(await readBody(req)));
      const ids = request.batches.map((batch) => {
        const id = batch.id ?? bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
        log.append(id, batch.body);
        return id;
      });
      if (this.options.finalizeOnAccept ?? true) log.finalizeAll();
      return send(res, 200, submitBatchesResponseToJson({ ids }));
    }
    send(res, 404, { code: "ROUTE_NOT_FOUND", message: url.pathname, retryable: false });
  }
}

/** A URL nothing listens on: a port just opened and closed again. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
