import { parentPort, workerData } from "node:worker_threads";
import {
  certificateFromJson,
  checkCertificate,
  type G1Json,
  g1FromJson,
  networkFromJson,
  type VoteKind,
  verifyVoteShare,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import type { VerifyReply, VerifyRequest } from "./verify-pool.js";

/** A pairing worker: the network comes once (workerData), then certificates and shares to check. */
const network = networkFromJson(workerData.network);
const port = parentPort!;

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
      const invalid: Hex[] = [];
      for (const [id, share] of request.shares) {
        let ok = false;
        try {
          ok = verifyVoteShare(network, request.voteKind as VoteKind, point, id, g1FromJson(share as G1Json));
        } catch {
          ok = false;
        }
        if (!ok) invalid.push(id);
      }
      reply = { id: request.id, invalid };
    }
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, ready: true } satisfies VerifyReply);
