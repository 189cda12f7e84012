import { createServer } from "node:net";
import { PortInUseError } from "./errors.js";

/** Every service of the devnet listens on loopback only. */
export const LOCALHOST = "127.0.0.1";

function tryListen(port: number): Promise<number | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host: LOCALHOST, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** Throws a PortInUseError naming what needs the port when it cannot be bound on 127.0.0.1. */
export async function assertPortFree(port: number, what: string, hint: string): Promise<void> {
  const outcome = await tryListen(port);
  if (typeof outcome === "number") return;
  if (outcome.code === "EADDRINUSE" || outcome.code === "EACCES") throw new PortInUseError(port, what, hint);
  throw outcome;
}

/**
 * A port that was free a moment ago (the OS picked it). Another process could take it before
 * the service binds it; on a developer machine that is rare enough, and the service then fails
 * at start-up with its own clear error.
 */
export async function freePort(): Promise<number> {
  const outcome = await tryListen(0);
  if (typeof outcome === "number") return outcome;
  throw outcome;
}
