import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low)) return low;
  } catch {
    // not Linux
  }
  return 32_768;
}

/** Ports this process handed out: free when picked, but maybe not yet bound by the node. */
const handedOut = new Set<number>();

/**
 * A port free a moment ago for a node started later. Picked below the OS's range for outgoing
 * connections: a port from that range may be handed to some client as its local port before the
 * node binds it (the same reasoning as local-avs's freePort). Other processes pick ports that
 * stay unbound for a while too (a node takes seconds to start): vitest's workers, and other
 * packages' suites that turbo runs beside this one (downtime-log's starts clusters with this
 * module, and its only worker has the same VITEST_POOL_ID as this suite's). So each process gets
 * a slice of the range by its pid, and never hands out one port twice.
 */
export async function freePort(): Promise<number> {
  const highest = ephemeralLow() - 1;
  const slices = 8;
  const width = Math.floor((highest + 1 - 20_000) / slices);
  const slice = process.pid % slices;
  const low = 20_000 + slice * width;
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = randomInt(low, low + width);
    if (handedOut.has(candidate)) continue;
    const port = await tryListen(candidate);
    if (port !== undefined) {
      handedOut.add(port);
      return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error("no free port on 127.0.0.1");
  return port;
}
