import { parentPort, workerData } from "node:worker_threads";
import { aggregateG1, aggregateG2, type G1Point, verifySignature } from "@avskit/bls";
import {
  certificateFromJson,
  checkCertificate,
  type G1Json,
  g1FromJson,
  memberById,
  networkFromJson,
  type VoteKind,
  type VotePoint,
  verifyVoteShare,
  voteDigest,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import type { VerifyReply, VerifyRequest } from "./verify-pool.js";

/** A pairing worker: the network comes once (workerData), then certificates and shares to check. */
const network = networkFromJson(workerData.network);
const port = parentPort!;

/**
 * The senders of bad shares among `shares`, by halves: a half whose aggregate verifies holds no
 * bad share (one pairing check for it), so one bad share among n costs about 2·log2(n) checks.
 */
function bisect(kind: VoteKind, point: VotePoint, shares: readonly [Hex, G1Point][]): Hex[] {
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
  return [...bisect(kind, point, shares.slice(0, half)), ...bisect(kind, point, shares.slice(half))];
}

port.on("message", (request: VerifyRequest) => {
  let reply: VerifyReply;
  try {
    if (request.kind === "certificate") {
      reply = { id: request.id, ok: checkCertificate(network, certificateFromJson(request.certificate)).ok };
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
      invalid.push(...bisect(request.voteKind as VoteKind, point, shares));
      reply = { id: request.id, invalid };
    }
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ready: true } satisfies VerifyReply);
