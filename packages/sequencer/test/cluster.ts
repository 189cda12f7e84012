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
export async function makeCluster(n: number, base: SequencerConfigInput = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "avskit-sequencer-"));
  const unsorted: MemberKeys[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    unsorted.push({
      bls: generateKeyPair(),
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
  const network = parseStaticNetwork(text);
  const keys = network.members.map((m) => unsorted.find((k) => k.url === m.url)!);
  const nodes: (RunningService<SequencerHandle> | undefined)[] = keys.map(() => undefined);
  const cluster: Cluster = {
    dir,
    networkFile,
    network,
    keys,
    nodes,
    async start(i, extra = {}, env = {}) {
      const k = keys[i]!;
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
