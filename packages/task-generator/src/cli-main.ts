import { ConfigError, createLogger, redactConfig, resolveConfig, Shutdown } from "@avskit/runtime";
import { startTaskGenerator } from "./generator.js";
import { ENV_PREFIX, taskGeneratorCommand, taskGeneratorOptionSpecs } from "./options.js";

/** Exit codes: 0 stopped cleanly, 1 failed at start-up, 2 invalid configuration. */
export async function runTaskGeneratorCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  installSignalHandlers = true,
): Promise<number> {
  let exitCode = 0;
  const command = taskGeneratorCommand().action(async () => {
    let config: ReturnType<typeof resolveConfig<typeof taskGeneratorOptionSpecs>>;
    try {
      config = resolveConfig(command, taskGeneratorOptionSpecs, ENV_PREFIX, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`avskit-task-generator: ${error.message}\n`);
      exitCode = 2;
      return;
    }
    const logger = createLogger({ name: "task-generator", level: config.logLevel, format: config.logFormat });
    logger.debug({ config: redactConfig(taskGeneratorOptionSpecs, config) }, "configuration");
    let generator: Awaited<ReturnType<typeof startTaskGenerator>>;
    try {
      generator = await startTaskGenerator(config, { logger });
    } catch (error) {
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      exitCode = error instanceof ConfigError ? 2 : 1;
      return;
    }
    const shutdown = new Shutdown(logger, 30_000);
    shutdown.add("task generator", () => generator.stop("signal"));
    if (installSignalHandlers) shutdown.installSignalHandlers((code) => process.exit(code));
    await generator.done;
  });
  await command.parseAsync([...argv], { from: "user" });
  return exitCode;
}
