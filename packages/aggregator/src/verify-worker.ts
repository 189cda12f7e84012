/**
 * A verification worker thread (started by WorkerVerifierPool): it takes batches of signatures,
 * verifies each digest group with the BLS library's batch verifier (bisection names the bad
 * ones) and answers with the invalid indices, so the pairings never run on the service's event
 * loop. It holds no state but the rebuilt keys.
 */
import { parentPort } from "node:worker_threads";
import { verifyBatchOfSameMessage } from "./fast-verifier.js";
import {
  decodeGroup,
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
    const invalid = request.groups.map((wire) => {
      const group = decodeGroup(wire, keys);
      return verifyBatchOfSameMessage(group.digest, group.items);
    });
    reply({
      kind: "verdict",
      id: request.id,
      invalid,
      cpuMs: threadCpuMs() - cpuStarted,
      workMs: performance.now() - started,
    });
  } catch (error) {
    reply({ kind: "failed", id: request.id, message: String((error as Error)?.message ?? error) });
  }
});

reply({ kind: "ready" });
