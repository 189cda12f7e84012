import { readFileSync } from "node:fs";
import {
  type Certificate,
  certificateFromJson,
  checkCertificate,
  type FinalizedPageJson,
  genesisHash,
  type Network,
  nextChainHash,
  parseStaticNetwork,
} from "@avskit/sequencer-protocol";
import { type Hex, hexToBytes } from "viem";
import { InvariantViolationError } from "./errors.js";
import { getJson, sleep } from "./http.js";

/** What the checker reads: the cluster, or stand-in nodes in the checker's own test. */
export interface CheckedNodes {
  readonly networkFile: string;
  readonly nodes: readonly { readonly index: number; readonly url: string; readonly running: boolean }[];
}

/** What the checker has read of one node's finalized log of one app. */
interface NodeProgress {
  /** Highest index read (and checked) so far. */
  read: bigint;
  /** Chaining hash at `read`. */
  hash: Hex;
  /** Highest finalized index the node ever reported: it must never go below it. */
  floor: bigint;
}

/** The finalized log of one app as every node agrees it is. */
interface AppLog {
  readonly hashes: Hex[];
  readonly ids: string[];
  readonly indexOfId: Map<string, bigint>;
}

export interface InvariantCheckerOptions {
  readonly intervalMs?: number;
  /** Largest page asked for. */
  readonly pageLimit?: number;
  /**
   * Check finality certificates' BLS signatures against the network: one pairing each, so at most
   * this many per pass (default 1; 0 = none). Every page's chain is checked against its
   * certificate's hash regardless; the signature is sampled, not to load the 2 cores the nodes need.
   */
  readonly certificatesPerTick?: number;
}

/**
 * Reads every node's finalized pages every ~100 ms while a test runs, and stops at the first
 * thing safety forbids: two chaining hashes at one finalized index (across all nodes, across the
 * whole test), a node whose finalized index goes below what it reported before (restarts included,
 * unless the test wiped its disk: `forget`), a page whose entries do not chain from its
 * `prevChainHash` to its certificate's hash, an invalid certificate, one id finalized at two
 * indexes. `stop()` (and `assertOk()`, called by every wait of the tests) throws the violation.
 */
export class InvariantChecker {
  readonly #cluster: CheckedNodes;
  readonly #apps: readonly string[];
  /** The sets certificates may be counted in, by snapshot id (the file's, and any a test moves the cluster onto). */
  readonly #networks = new Map<string, Network>();
  readonly #options: Required<InvariantCheckerOptions>;
  readonly #progress = new Map<string, NodeProgress>();
  readonly #logs = new Map<string, AppLog>();
  readonly #verified = new Set<string>();
  #violation: InvariantViolationError | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #ticks = 0;
  #verifyBudget = 0;
  #pass: Promise<void> = Promise.resolve();

  constructor(cluster: CheckedNodes, apps: readonly string[], options: InvariantCheckerOptions = {}) {
    this.#cluster = cluster;
    this.#apps = apps;
    this.trust(parseStaticNetwork(readFileSync(cluster.networkFile, "utf8")));
    this.#options = {
      intervalMs: options.intervalMs ?? 100,
      pageLimit: options.pageLimit ?? 2_000,
      certificatesPerTick: options.certificatesPerTick ?? 1,
    };
    for (const app of apps) this.#logs.set(app, { hashes: [], ids: [], indexOfId: new Map() });
  }
  /** Certificates counted in `network` are valid from now on (a test that changes the operator set). */
  trust(network: Network): this {
    this.#networks.set(network.snapshotId, network);
    return this;
  }

  #check(cert: Certificate): ReturnType<typeof checkCertificate> {
    const network = this.#networks.get(cert.snapshotId.toLowerCase());
    return network === undefined
      ? { ok: false, reason: "SNAPSHOT_MISMATCH" }
      : checkCertificate(network, cert);
  }

  get violation(): InvariantViolationError | undefined {
    return this.#violation;
  }

  /** Passes done over all nodes: a test can wait for one more after an event. */
  get ticks(): number {
    return this.#ticks;
  }

  start(): this {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running && !this.#violation) {
        await this.tick();
        await sleep(this.#options.intervalMs);
      }
    })();
    return this;
  }

  /** Ends the loop after one last full pass; throws the first violation seen. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    if (!this.#violation) await this.tick();
    this.assertOk();
  }

  assertOk(): void {
    if (this.#violation) throw this.#violation;
  }

  /** The node's disk was wiped: it starts again from nothing (its hashes must still agree). */
  forget(node: number): void {
    for (const app of this.#apps) this.#progress.delete(`${node}/${app}`);
  }

  /** Highest finalized index read and checked on that node. */
  readOf(node: number, app: string): bigint {
    return this.#progress.get(`${node}/${app}`)?.read ?? 0n;
  }

  /** The agreed finalized log so far: chaining hash and id per index (index i at [i - 1]). */
  log(app: string): { readonly hashes: readonly Hex[]; readonly ids: readonly string[] } {
    return this.#logs.get(app)!;
  }

  /** The index an id was finalized at, if it was (ids in lower-case hex). */
  indexOf(app: string, id: string): bigint | undefined {
    return this.#logs.get(app)!.indexOfId.get(id.toLowerCase());
  }

  /**
   * One pass over every running node and app: reads all new finalized pages. Passes never
   * overlap (a test's own call waits for the loop's), since each continues where the last ended.
   */
  tick(): Promise<void> {
    const pass = this.#pass.then(() => this.#tick());
    this.#pass = pass.catch(() => undefined);
    return pass;
  }

  async #tick(): Promise<void> {
    this.#verifyBudget = this.#options.certificatesPerTick;
    await Promise.all(
      this.#cluster.nodes
        .filter((n) => n.running)
        .flatMap((n) => this.#apps.map((app) => this.#readNode(n.index, n.url, app))),
    );
    this.#ticks++;
  }

  #fail(message: string, details: Record<string, unknown>): void {
    this.#violation ??= new InvariantViolationError(message, details);
  }

  async #readNode(node: number, url: string, app: string): Promise<void> {
    const key = `${node}/${app}`;
    let progress = this.#progress.get(key);
    if (!progress) {
      progress = { read: 0n, hash: genesisHash(app) as Hex, floor: 0n };
      this.#progress.set(key, progress);
    }
    // Several pages per pass while the node is ahead, but never for ever (one pass ~100 ms).
    for (let pages = 0; pages < 8 && !this.#violation; pages++) {
      const reply = await getJson(
        `${url}/v1/apps/${app}/batches?after=${progress.read}&limit=${this.#options.pageLimit}`,
        3_000,
      );
      if (reply?.status !== 200) return; // down, restarting, or the app has nothing yet
      const page = reply.body as FinalizedPageJson;
      const lastFinalized = BigInt(page.lastFinalized);
      if (lastFinalized < progress.floor) {
        this.#fail("a node's finalized index went down", {
          node,
          app,
          before: progress.floor.toString(),
          now: page.lastFinalized,
        });
        return;
      }
      progress.floor = lastFinalized;
      if (page.batches.length === 0) return;
      if (!this.#checkPage(node, app, progress, page)) return;
      if (progress.read >= lastFinalized) return;
    }
  }

  /** Checks one page and records it; false at a violation. */
  #checkPage(node: number, app: string, progress: NodeProgress, page: FinalizedPageJson): boolean {
    const log = this.#logs.get(app)!;
    if (
      BigInt(page.after) !== progress.read ||
      page.prevChainHash.toLowerCase() !== progress.hash.toLowerCase()
    ) {
      this.#fail("a page does not start where the node's finalized chain was", {
        node,
        app,
        expectedAfter: progress.read.toString(),
        expectedPrev: progress.hash,
        after: page.after,
        prevChainHash: page.prevChainHash,
      });
      return false;
    }
    let index = progress.read;
    let hash = progress.hash;
    const found: { index: bigint; hash: Hex; id: string }[] = [];
    for (const batch of page.batches) {
      index += 1n;
      if (BigInt(batch.index) !== index) {
        this.#fail("a page skips or repeats an index", {
          node,
          app,
          expected: index.toString(),
          got: batch.index,
        });
        return false;
      }
      hash = nextChainHash(hash, hexToBytes(batch.id), Buffer.from(batch.body, "base64")) as Hex;
      found.push({ index, hash, id: batch.id.toLowerCase() });
    }
    const finality = page.finality;
    if (
      !finality ||
      BigInt(finality.index) !== index ||
      finality.chainHash.toLowerCase() !== hash.toLowerCase()
    ) {
      this.#fail("a page's entries do not chain to its finality certificate", {
        node,
        app,
        lastIndex: index.toString(),
        computed: hash,
        finality,
      });
      return false;
    }
    if (this.#verifyBudget > 0 && !this.#verified.has(`${app}/${index}/${hash}`)) {
      this.#verifyBudget--;
      const outcome = this.#check(certificateFromJson(finality));
      if (!outcome.ok || finality.kind !== "finalize" || finality.app !== app) {
        this.#fail("an invalid finality certificate", { node, app, outcome, finality });
        return false;
      }
      this.#verified.add(`${app}/${index}/${hash}`);
    }
    for (const entry of found) {
      const agreed = log.hashes[Number(entry.index) - 1];
      if (agreed === undefined) {
        const earlier = log.indexOfId.get(entry.id);
        if (earlier !== undefined) {
          this.#fail("one id finalized at two indexes", {
            node,
            app,
            id: entry.id,
            first: earlier.toString(),
            again: entry.index.toString(),
          });
          return false;
        }
        log.hashes.push(entry.hash);
        log.ids.push(entry.id);
        log.indexOfId.set(entry.id, entry.index);
      } else if (agreed.toLowerCase() !== entry.hash.toLowerCase()) {
        this.#fail("two different chaining hashes finalized at one index", {
          node,
          app,
          index: entry.index.toString(),
          agreed,
          got: entry.hash,
          // Whether the certificate this node holds for the conflicting chain is itself valid:
          // a valid one means the quorum signed two chains; an invalid one, that the node
          // believed a finality proof it should have refused.
          certificate: { ...finality, valid: this.#check(certificateFromJson(finality)) },
        });
        return false;
      }
    }
    progress.read = index;
    progress.hash = hash;
    return true;
  }
}
