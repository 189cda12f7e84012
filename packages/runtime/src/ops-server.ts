import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createHttpApp, listen, type RunningServer } from "./http.js";

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

/**
 * `/metrics` for Prometheus and `/health` (200 healthy, 503 not) for probes, with createHttpApp's
 * default limits and refusals (`ROUTE_NOT_FOUND`, `RATE_LIMITED`, … in `{code, message, retryable}`).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<RunningServer> {
  const app = createHttpApp({ bodyLimit: 1_024, logger: options.logger });
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", options.registry.contentType);
    return options.registry.metrics();
  });
  app.get("/health", async (_request, reply) => {
    const report = await options.health();
    reply.code(report.healthy ? 200 : 503);
    return report;
  });
  const server = await listen(app, options.host, options.port, { quietMs: 0, maxDrainMs: 500 });
  options.logger.info({ url: server.url }, "metrics and health endpoint listening");
  return server;
}
