/**
 * A verification worker thread (started by WorkerVerifierPool): it takes batches of signatures,
 * verifies each digest group with the BLS library's aggregate-first verifier (the plain weighted
 * aggregate; the randomised check and bisection, which name the bad ones, only when it fails)
 * and answers with the invalid indices and whether the rest is valid only as a set, so the pairings never run on the service's event
 * loop. It holds no state but the rebuilt keys.
 */
import { parentPort } from "node:worker_threads";
import { verifyAggregateFirstOfSameMessage } from "./fast-verifier.js";
import {
  decodeGroup,
  encodeAggregate,
  groupVerdict,
  KeyCache,
  threadCpuMs,
  type VerifyRequest,
  type WorkerMessage,
} from "./verify-protocol.js";

const port = parentPort;
if (port === null) throw new Error("verify-worker.js runs as a worker thread (new Worker), not on its own");

const keys = new KeyCache();
const reply = (message: WorkerMessage) => port.postMessage(message);

port.on("message", (request: VerifyRequest) => {
  const started = performance.now();
  const cpuStarted = threadCpuMs();
  try {
    const verdicts = request.groups.map((wire) => {
      const group = decodeGroup(wire, keys);
      const individually = group.individually === true;
      return groupVerdict(
        verifyAggregateFirstOfSameMessage(group.digest, group.items, individually),
        individually,
      );
    });
    reply({
      kind: "verdict",
      id: request.id,
      invalid: verdicts.map((v) => v.invalid),
      aggregates: verdicts.map((v) => (v.aggregate === undefined ? null : encodeAggregate(v.aggregate))),
      cpuMs: threadCpuMs() - cpuStarted,
      workMs: performance.now() - started,
    });
  } catch (error) {
    reply({ kind: "failed", id: request.id, message: String((error as Error)?.message ?? error) });
  }
});

reply({ kind: "ready" });
