import { ConfigError, createLogger, redactConfig, resolveConfig, Shutdown } from "@avskit/runtime";
import { type Challenger, startChallenger } from "./challenger.js";
import { type ChallengerConfig, challengerCommand, challengerOptionSpecs, ENV_PREFIX } from "./options.js";

/** Exit codes: 0 stopped cleanly, 1 failed at start-up, 2 invalid configuration. */
export async function runChallengerCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  installSignalHandlers = true,
): Promise<number> {
  let exitCode = 0;
  const command = challengerCommand().action(async () => {
    let config: ChallengerConfig;
    try {
      config = resolveConfig(command, challengerOptionSpecs, ENV_PREFIX, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`avskit-challenger: ${error.message}\n`);
      exitCode = 2;
      return;
    }
    const logger = createLogger({ name: "challenger", level: config.logLevel, format: config.logFormat });
    logger.debug({ config: redactConfig(challengerOptionSpecs, config) }, "configuration");
    let challenger: Challenger;
    try {
      challenger = await startChallenger(config, { logger });
    } catch (error) {
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      exitCode = error instanceof ConfigError ? 2 : 1;
      return;
    }
    const shutdown = new Shutdown(logger, 30_000);
    shutdown.add("challenger", () => challenger.stop("signal"));
    if (installSignalHandlers) shutdown.installSignalHandlers((code) => process.exit(code));
    await challenger.done;
  });
  await command.parseAsync([...argv], { from: "user" });
  return exitCode;
}
