import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

/** The header a node names itself with on every peer request (PROTOCOL.md, Authentication). */
const FROM_HEADER = "x-avskit-from";

/**
 * An HTTP forwarder on 127.0.0.1 in front of one node: the URL the network file gives for that
 * node. A TCP proxy (the integration package's TcpProxy) can only cut what reaches the node; a
 * partition must also cut what the node sends, and all nodes share one network file (its hash is
 * the snapshot), so the other nodes' proxies must tell the cut node's requests apart: they read
 * the sender's `x-avskit-from` header and drop the connection of a blocked sender, as a network
 * that loses its packets would (the sender sees a reset, never an answer).
 */
export class PeerProxy {
  readonly #targetPort: number;
  readonly #sockets = new Set<Socket>();
  readonly #blocked = new Set<string>();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #server: Server | undefined;
  #port = 0;
  #refuseAll = false;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Requests from this sender (an operator id, any case) are dropped from now on. */
  block(operatorId: string): void {
    this.#blocked.add(operatorId.toLowerCase());
    for (const socket of this.#sockets) socket.destroy();
  }

  unblock(operatorId: string): void {
    this.#blocked.delete(operatorId.toLowerCase());
  }

  /** Every request is dropped (the node behind it is unreachable), without closing the port. */
  isolate(): void {
    this.#refuseAll = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  rejoin(): void {
    this.#refuseAll = false;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => this.#forward(req, res));
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#agent.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #dropped(req: IncomingMessage): boolean {
    if (this.#refuseAll) return true;
    const from = req.headers[FROM_HEADER];
    return typeof from === "string" && this.#blocked.has(from.toLowerCase());
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    if (this.#dropped(req)) {
      req.socket.destroy();
      return;
    }
    const upstream = request(
      {
        host: "127.0.0.1",
        port: this.#targetPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.#agent,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    // The node behind is down (killed, restarting): the caller sees its connection reset, as
    // it would talking to the node directly.
    upstream.on("error", () => req.socket.destroy());
    req.pipe(upstream);
  }
}
