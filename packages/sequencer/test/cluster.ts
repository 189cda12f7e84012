import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BlsKeyPair, generateKeyPair } from "@avskit/bls";
import type { RunningService } from "@avskit/runtime";
import {
  formatStaticNetwork,
  type Network,
  parseStaticNetwork,
  staticMember,
  submitBatchesRequestToJson,
} from "@avskit/sequencer-protocol";
import { bytesToHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { type SequencerConfigInput, type SequencerHandle, sequencerService } from "../src/index.js";

/** A free port on 127.0.0.1 (bound, then released, for a network file that needs urls up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface MemberKeys {
  readonly bls: BlsKeyPair;
  readonly ecdsa: Hex;
  readonly port: number;
  readonly url: string;
}

export interface Cluster {
  readonly dir: string;
  readonly networkFile: string;
  readonly network: Network;
  readonly keys: readonly MemberKeys[];
  /** Keys of nodes not in the first network file (for operator-set changes), after `keys`. */
  readonly spare: readonly MemberKeys[];
  /** Writes a new network file of these keys (index into keys then spare), stakes 100 unless given. */
  rewriteNetwork(members: readonly number[], stakes?: readonly bigint[]): Network;
  /** Running nodes, in network member order (index i leads term i+1); undefined when stopped. */
  readonly nodes: (RunningService<SequencerHandle> | undefined)[];
  start(
    i: number,
    extra?: SequencerConfigInput,
    env?: NodeJS.ProcessEnv,
  ): Promise<RunningService<SequencerHandle>>;
  stop(i: number): Promise<void>;
  close(): Promise<void>;
}

/** n members with generated keys and equal stakes, in a static network file; nodes started on demand. */
export async function makeCluster(
  n: number,
  base: SequencerConfigInput = {},
  options: {
    spare?: number;
    /** Spares' BLS keys are drawn until this accepts them (e.g. to decide where one sorts). */
    acceptSpare?: (bls: BlsKeyPair, members: readonly MemberKeys[]) => boolean;
    /** Members' stakes in the network's order (the order leaders rotate in); 100 each unless given. */
    stakes?: readonly bigint[];
  } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "avskit-sequencer-"));
  const unsorted: MemberKeys[] = [];
  const spare: MemberKeys[] = [];
  for (let i = 0; i < n + (options.spare ?? 0); i++) {
    const port = await freePort();
    let bls = generateKeyPair();
    while (i >= n && options.acceptSpare && !options.acceptSpare(bls, unsorted)) bls = generateKeyPair();
    (i < n ? unsorted : spare).push({
      bls,
      ecdsa: generatePrivateKey(),
      port,
      url: `http://127.0.0.1:${port}`,
    });
  }
  const text = formatStaticNetwork({
    version: 1,
    members: unsorted.map((k) => staticMember(k.bls, privateKeyToAddress(k.ecdsa), 100n, k.url)),
  });
  const networkFile = join(dir, "network.json");
  writeFileSync(networkFile, text);
  let network = parseStaticNetwork(text);
  const keys = network.members.map((m) => unsorted.find((k) => k.url === m.url)!);
  const all = [...keys, ...spare];
  const writeNetwork = (members: readonly number[], stakes?: readonly bigint[]): Network => {
    const next = formatStaticNetwork({
      version: 1,
      members: members.map((i, j) => {
        const k = all[i]!;
        return staticMember(k.bls, privateKeyToAddress(k.ecdsa), stakes?.[j] ?? 100n, k.url);
      }),
    });
    writeFileSync(networkFile, next);
    return parseStaticNetwork(next);
  };
  if (options.stakes)
    network = writeNetwork(
      keys.map((_, i) => i),
      options.stakes,
    );
  const nodes: (RunningService<SequencerHandle> | undefined)[] = all.map(() => undefined);
  const cluster: Cluster = {
    dir,
    networkFile,
    network,
    keys,
    spare,
    nodes,
    rewriteNetwork: writeNetwork,
    async start(i, extra = {}, env = {}) {
      const k = all[i]!;
      const config = sequencerService.resolveConfig(
        {
          networkFile,
          listen: `127.0.0.1:${k.port}`,
          dataDir: join(dir, `node-${i}`),
          blsPrivateKey: `0x${k.bls.secretKey.toString(16)}`,
          ecdsaPrivateKey: k.ecdsa,
          metricsAddr: "none",
          logLevel: process.env.SEQUENCER_TEST_LOG ?? "error",
          ...base,
          ...extra,
        },
        env,
      );
      const running = await sequencerService.start(config, { env });
      nodes[i] = running;
      return running;
    },
    async stop(i) {
      await nodes[i]?.stop("test");
      nodes[i] = undefined;
    },
    async close() {
      await Promise.all(nodes.map((_, i) => cluster.stop(i)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export const randomId = (): Hex => bytesToHex(crypto.getRandomValues(new Uint8Array(16)));

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** POSTs text batches to a node's client API; the ids it acknowledged (a refusal fails the test). */
export async function submitTexts(url: string, app: string, texts: readonly string[]): Promise<Hex[]> {
  const res = await fetch(new URL(`/v1/apps/${app}/batches`, url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(
      submitBatchesRequestToJson({ batches: texts.map((t) => ({ body: new TextEncoder().encode(t) })) }),
    ),
  });
  if (res.status !== 200) throw new Error(`submit to ${url}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ids: Hex[] }).ids;
}
