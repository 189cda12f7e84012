import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
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

/** Where the OS takes the local ports of outgoing connections (Linux: ip_local_port_range). */
function ephemeralRange(): readonly [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux
  }
  return [32_768, 60_999];
}

/** Lowest port freePort picks: above the well-known and most registered services' ports. */
const LOWEST_PICK = 20_000;

/**
 * A port free a moment ago, for a service that is started later. It is chosen below the range the
 * OS gives outgoing connections: a port the OS picks (port 0) comes from that range, and in the
 * seconds before the service binds it, any client connecting anywhere may be handed the same
 * number as its local port (an aggregator once failed to start with EADDRINUSE that way). Another
 * process could still take it in between; the service then fails at start-up with its own error.
 */
export async function freePort(): Promise<number> {
  const highest = Math.min(ephemeralRange()[0], 65_536) - 1;
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > HANDED_OUT_MS) handedOut.delete(port);
  for (let attempt = 0; highest > LOWEST_PICK && attempt < 50; attempt++) {
    const port = randomInt(LOWEST_PICK, highest + 1);
    if (handedOut.has(port)) continue;
    const outcome = await tryListen(port);
    if (typeof outcome === "number") return handOut(outcome);
  }
  const outcome = await tryListen(0);
  if (typeof outcome === "number") return handOut(outcome);
  throw outcome;
}

/**
 * Ports freePort gave out lately. The devnet picks every service's ports before it starts them
 * all at once, so a port picked (free, not bound yet) must not be picked again for another
 * service: with some twenty picks among ~12,000 ports that birthday collision is about 1 in 60
 * (the likeliest cause of an operator failing with EADDRINUSE in one dashboard test run).
 */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 10 * 60_000;

function handOut(port: number): number {
  handedOut.set(port, Date.now());
  return port;
}
