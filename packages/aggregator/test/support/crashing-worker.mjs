// A verification worker that starts, then dies on its first batch: for the pool's crash handling.
import { parentPort } from "node:worker_threads";

parentPort.on("message", () => {
  throw new Error("asked to crash");
});
parentPort.postMessage({ kind: "ready" });
