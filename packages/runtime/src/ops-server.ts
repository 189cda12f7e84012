import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

export interface HealthReport {
  readonly healthy: boolean;
  readonly [detail: string]: unknown;
}

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly health: () => HealthReport | Promise<HealthReport>;
  readonly logger: Logger;
}

export interface RunningServer {
  /** The URL it listens on, e.g. http://127.0.0.1:9090 (port resolved when 0 was asked). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a fastify app and reports where it listens; failures to bind are thrown, not ignored. */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<RunningServer> {
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return { url: `http://${host}:${boundPort}`, port: boundPort, close: () => app.close() };
}

/** `/metrics` for Prometheus and `/health` (200 healthy, 503 not) for probes. */
export async function startOpsServer(options: OpsServerOptions): Promise<RunningServer> {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", options.registry.contentType);
    return options.registry.metrics();
  });
  app.get("/health", async (_request, reply) => {
    const report = await options.health();
    reply.code(report.healthy ? 200 : 503);
    return report;
  });
  const server = await listen(app, options.host, options.port);
  options.logger.info({ url: server.url }, "metrics and health endpoint listening");
  return server;
}
