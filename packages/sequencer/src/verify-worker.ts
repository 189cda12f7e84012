import { parentPort, workerData } from "node:worker_threads";
import { aggregateG1, aggregateG2, type G1Point, verifySignature } from "@avskit/bls";
import {
  certificateFromJson,
  checkCertificate,
  type G1Json,
  g1FromJson,
  memberById,
  type Network,
  networkFromJson,
  type VoteKind,
  type VotePoint,
  verifyVoteShare,
  voteDigest,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import type { AddNetworkMessage, VerifyReply, VerifyRequest } from "./verify-pool.js";

/**
 * A pairing worker: the operator sets come first (workerData; later ones by message, after an
 * operator-set change), then certificates and shares to check, each against the set it names.
 */
const networks = new Map<Hex, Network>();
for (const json of workerData.networks as unknown[]) {
  const network = networkFromJson(json);
  networks.set(network.snapshotId, network);
}
const port = parentPort!;

function networkOf(snapshotId: Hex): Network {
  const network = networks.get(snapshotId.toLowerCase() as Hex);
  if (network === undefined) throw new Error(`unknown snapshot ${snapshotId}`);
  return network;
}

/**
 * The senders of bad shares among `shares`, by halves: a half whose aggregate verifies holds no
 * bad share (one pairing check for it), so one bad share among n costs about 2·log2(n) checks.
 */
function bisect(
  network: Network,
  kind: VoteKind,
  point: VotePoint,
  shares: readonly [Hex, G1Point][],
): Hex[] {
  if (shares.length === 0) return [];
  if (shares.length === 1) {
    const [id, share] = shares[0]!;
    return verifyVoteShare(network, kind, point, id, share) ? [] : [id];
  }
  const keys = shares.map(([id]) => memberById(network, id)?.pubkeyG2);
  if (keys.every((k) => k !== undefined)) {
    const ok = verifySignature(
      aggregateG2(keys),
      voteDigest(kind, point, network.snapshotId),
      aggregateG1(shares.map(([, s]) => s)),
    );
    if (ok) return [];
  }
  const half = shares.length >> 1;
  return [
    ...bisect(network, kind, point, shares.slice(0, half)),
    ...bisect(network, kind, point, shares.slice(half)),
  ];
}

port.on("message", (request: VerifyRequest | AddNetworkMessage) => {
  if (request.kind === "network") {
    const network = networkFromJson(request.network);
    networks.set(network.snapshotId, network);
    return;
  }
  let reply: VerifyReply;
  try {
    if (request.kind === "certificate") {
      const cert = certificateFromJson(request.certificate);
      const network = networks.get(cert.snapshotId.toLowerCase() as Hex);
      reply = { id: request.id, ok: network !== undefined && checkCertificate(network, cert).ok };
    } else {
      const point = {
        app: request.point.app,
        term: BigInt(request.point.term),
        index: BigInt(request.point.index),
        chainHash: request.point.chainHash,
      };
      const shares: [Hex, G1Point][] = [];
      const invalid: Hex[] = [];
      for (const [id, json] of request.shares) {
        try {
          shares.push([id, g1FromJson(json as G1Json)]);
        } catch {
          invalid.push(id);
        }
      }
      invalid.push(...bisect(networkOf(request.snapshotId), request.voteKind as VoteKind, point, shares));
      reply = { id: request.id, invalid };
    }
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ready: true } satisfies VerifyReply);
