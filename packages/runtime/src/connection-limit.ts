import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimitHandlers {
  /** Every connection, before anything is decided about it. */
  arrived(socket: Socket): void;
  /** A connection beyond the limit while every held one has a request in progress: refuse it. */
  refuse(socket: Socket): void;
  /** The held connection idle the longest, given up to make room for a new one: close it. */
  evict(socket: Socket): void;
  /** A connection let go because the server drains (see drain): close it. */
  drained(socket: Socket): void;
}

/**
 * Holds at most `max` connections open to an HTTP server. At the limit a new connection takes the
 * place of the connection idle the longest (no request in progress: a kept-alive connection
 * between requests, or one that has not finished sending its headers); only when every held
 * connection is serving a request is the new one refused. So a client that opens connections and
 * sends nothing (or trickles its headers) cannot lock honest clients out: their fresh connection
 * sends its request at once and pushes out the oldest idle one.
 *
 * It puts itself in front of the server's own `connection` listener (the one that attaches
 * Node's HTTP parser), so a refused connection never reaches the parser.
 */
export class ConnectionLimit {
  readonly max: number;
  readonly #held = new Set<Socket>();
  // A Set iterates in insertion order: the connection idle the longest comes first.
  readonly #idle = new Set<Socket>();
  readonly #requests = new Map<Socket, number>();
  readonly #handlers: ConnectionLimitHandlers;
  #draining = false;

  constructor(server: Server, max: number, handlers: ConnectionLimitHandlers) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxConnections must be a whole number ≥ 1 (got ${max})`);
    this.max = max;
    this.#handlers = handlers;
    const parserListeners = server.listeners("connection") as ((socket: Socket) => void)[];
    if (parserListeners.length !== 1)
      throw new Error(
        `expected the HTTP server's own connection listener alone, found ${parserListeners.length}`,
      );
    const attachParser = parserListeners[0]!;
    server.removeAllListeners("connection");
    server.on("connection", (socket: Socket) => {
      handlers.arrived(socket);
      if (this.#draining) {
        handlers.drained(socket);
        return;
      }
      if (this.#held.size >= this.max) {
        const longestIdle = this.#idle.values().next();
        if (longestIdle.done) {
          handlers.refuse(socket);
          return;
        }
        this.#release(longestIdle.value);
        handlers.evict(longestIdle.value);
      }
      this.#held.add(socket);
      this.#idle.add(socket);
      socket.once("close", () => this.#release(socket));
      attachParser.call(server, socket);
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      if (!this.#held.has(socket)) return;
      this.#idle.delete(socket);
      this.#requests.set(socket, (this.#requests.get(socket) ?? 0) + 1);
      response.once("close", () => {
        const left = (this.#requests.get(socket) ?? 1) - 1;
        if (left > 0) {
          this.#requests.set(socket, left);
          return;
        }
        this.#requests.delete(socket);
        if (!this.#held.has(socket) || socket.destroyed) return;
        if (this.#draining) {
          this.#release(socket);
          handlers.drained(socket);
        } else this.#idle.add(socket);
      });
    });
  }

  /**
   * Lets every connection go without resetting any: the idle ones now, those serving a request
   * once it is answered, and new ones as they arrive (they never reach the parser). Node's own
   * close would destroy idle connections, a request's bytes perhaps already on their way.
   */
  drain(): void {
    this.#draining = true;
    for (const socket of [...this.#idle]) {
      this.#release(socket);
      this.#handlers.drained(socket);
    }
  }

  /** Connections held open now. */
  get held(): number {
    return this.#held.size;
  }

  #release(socket: Socket): void {
    this.#held.delete(socket);
    this.#idle.delete(socket);
    this.#requests.delete(socket);
  }
}
