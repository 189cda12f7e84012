import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  buildCertificate,
  certificateToJson,
  type FinalizedPageJson,
  formatStaticNetwork,
  genesisHash,
  type Network,
  nextChainHash,
  parseStaticNetwork,
  signVote,
  staticMember,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { InvariantChecker } from "../src/invariants.js";

/**
 * The checker itself, against stand-in nodes serving pages with real finality certificates (so
 * that a violation the real cluster never shows is still known to be caught): agreeing nodes
 * pass; two finalized hashes at one index, a finalized index going down, a page that does not
 * chain to its certificate, one id at two indexes, each fail with their own message.
 */

const APP = "e2e";
const keys = Array.from({ length: 4 }, () => generateKeyPair());
let dir: string;
let networkFile: string;
let network: Network;

interface Entry {
  id: Uint8Array;
  body: Uint8Array;
}

const entry = (): Entry => ({ id: randomBytes(16), body: randomBytes(8) });

/** A node that serves `log()[0 .. finalized())` as final, certified by every member. */
function standIn(
  log: () => readonly Entry[],
  finalized: () => number,
  lie?: (page: FinalizedPageJson) => void,
) {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const after = Number(url.searchParams.get("after") ?? 0);
    const top = finalized();
    let hash = genesisHash(APP) as Hex;
    const entries = log();
    for (let i = 0; i < after; i++) hash = nextChainHash(hash, entries[i]!.id, entries[i]!.body) as Hex;
    const page: FinalizedPageJson = {
      app: APP,
      after: String(after),
      prevChainHash: hash,
      batches: [],
      finality: null,
      lastFinalized: String(top),
    };
    for (let i = after; i < top; i++) {
      hash = nextChainHash(hash, entries[i]!.id, entries[i]!.body) as Hex;
      page.batches.push({
        index: String(i + 1),
        id: `0x${Buffer.from(entries[i]!.id).toString("hex")}`,
        body: Buffer.from(entries[i]!.body).toString("base64"),
      });
    }
    if (top > after) {
      const point = { app: APP, term: 1n, index: BigInt(top), chainHash: hash };
      const shares = new Map(
        keys.map((k) => [
          operatorIdFromPublicKey(k.publicKeyG1) as Hex,
          signVote(k.secretKey, "finalize", point, network.snapshotId),
        ]),
      );
      page.finality = certificateToJson(buildCertificate(network, "finalize", point, shares)!);
    }
    lie?.(page);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(page));
  });
  return new Promise<{ server: Server; node: { index: number; url: string; running: boolean } }>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, node: { index: 0, url: `http://127.0.0.1:${port}`, running: true } });
    }),
  );
}

const servers: Server[] = [];
async function nodes(...specs: Parameters<typeof standIn>[]) {
  const started = await Promise.all(specs.map((spec) => standIn(...spec)));
  servers.push(...started.map((s) => s.server));
  return { networkFile, nodes: started.map((s, index) => ({ ...s.node, index })) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "avskit-checker-"));
  networkFile = join(dir, "network.json");
  const text = formatStaticNetwork({
    version: 1,
    members: keys.map((k) =>
      staticMember(k, privateKeyToAddress(generatePrivateKey()), 1n, "http://127.0.0.1:1"),
    ),
  });
  writeFileSync(networkFile, text);
  network = parseStaticNetwork(text);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("nodes that agree pass, read incrementally as finality grows", async () => {
  const log = Array.from({ length: 10 }, entry);
  let top = 4;
  const checker = new InvariantChecker(await nodes([() => log, () => top], [() => log, () => top]), [APP]);
  await checker.tick();
  top = 10;
  await checker.tick();
  expect(checker.violation).toBeUndefined();
  expect(checker.log(APP).hashes).toHaveLength(10);
  expect(checker.readOf(1, APP)).toBe(10n);
  expect(checker.indexOf(APP, `0x${Buffer.from(log[6]!.id).toString("hex")}`)).toBe(7n);
});

it("two different chaining hashes at one finalized index fail", async () => {
  const log = Array.from({ length: 6 }, entry);
  const fork = [...log.slice(0, 3), entry(), ...log.slice(4)];
  const checker = new InvariantChecker(await nodes([() => log, () => 6], [() => fork, () => 6]), [APP]);
  await checker.tick();
  expect(checker.violation?.message).toMatch(
    /two different chaining hashes finalized at one index.*"index":"4"/,
  );
});

it("a finalized index that goes down fails", async () => {
  const log = Array.from({ length: 6 }, entry);
  let top = 6;
  const checker = new InvariantChecker(await nodes([() => log, () => top]), [APP]);
  await checker.tick();
  top = 5;
  await checker.tick();
  expect(checker.violation?.message).toMatch(/finalized index went down/);
});

it("a page that does not chain to its certificate fails, and so does an id at two indexes", async () => {
  const log = Array.from({ length: 3 }, entry);
  const tampered = new InvariantChecker(
    await nodes([
      () => log,
      () => 3,
      (page) => {
        page.batches[1]!.body = Buffer.from("not what was certified").toString("base64");
      },
    ]),
    [APP],
  );
  await tampered.tick();
  expect(tampered.violation?.message).toMatch(/do not chain to its finality certificate/);

  // Certified by signatures over another point (here: another term).
  const forged = new InvariantChecker(
    await nodes([
      () => log,
      () => 3,
      (page) => {
        page.finality!.term = "2";
      },
    ]),
    [APP],
  );
  await forged.tick();
  expect(forged.violation?.message).toMatch(/an invalid finality certificate.*BAD_SIGNATURE/);

  const twice = [log[0]!, log[1]!, log[0]!];
  const repeated = new InvariantChecker(await nodes([() => twice, () => 3]), [APP]);
  await repeated.tick();
  expect(repeated.violation?.message).toMatch(/one id finalized at two indexes/);
  await expect(repeated.stop()).rejects.toThrow(/one id finalized at two indexes/);
});
