import { ConfigError, createLogger, redactConfig, resolveConfig, Shutdown } from "@avskit/runtime";
import { aggregatorCommand, aggregatorOptionSpecs, ENV_PREFIX } from "./options.js";
import { type RunningAggregator, startAggregator } from "./service.js";

/** Exit codes: 0 stopped cleanly, 1 failed at start-up, 2 invalid configuration. */
export async function runAggregatorCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  installSignalHandlers = true,
): Promise<number> {
  let exitCode = 0;
  const command = aggregatorCommand().action(async () => {
    let config: ReturnType<typeof resolveConfig<typeof aggregatorOptionSpecs>>;
    try {
      config = resolveConfig(command, aggregatorOptionSpecs, ENV_PREFIX, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`avskit-aggregator: ${error.message}\n`);
      exitCode = 2;
      return;
    }
    const logger = createLogger({ name: "aggregator", level: config.logLevel, format: config.logFormat });
    logger.debug({ config: redactConfig(aggregatorOptionSpecs, config) }, "configuration");
    let running: RunningAggregator;
    try {
      running = await startAggregator(config, { logger });
    } catch (error) {
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      exitCode = error instanceof ConfigError ? 2 : 1;
      return;
    }
    const shutdown = new Shutdown(logger, 30_000);
    const stopped = new Promise<void>((resolve) => {
      shutdown.add("aggregator", async () => {
        await running.stop("signal");
        resolve();
      });
    });
    if (installSignalHandlers) shutdown.installSignalHandlers((code) => process.exit(code));
    await stopped;
  });
  await command.parseAsync([...argv], { from: "user" });
  return exitCode;
}
