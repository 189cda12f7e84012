import { ConfigError, signalExitCode } from "@avskit/runtime";
import { EXIT, type LocalAvsIo, runLocalAvs } from "./local-avs.js";
import { type LocalAvsConfig, localAvsCommand, resolveLocalAvsConfig } from "./options.js";

/**
 * `avskit-local`: parses the options, turns the first SIGINT/SIGTERM into a graceful stop of
 * everything (a second one exits at once; the services still get SIGTERM from the kernel as
 * their parent dies), and returns the exit code.
 */
export async function runLocalAvsCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  whenReady?: LocalAvsIo["whenReady"],
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const command = localAvsCommand().action(async () => {
    let config: LocalAvsConfig;
    try {
      config = resolveLocalAvsConfig(command, env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`avskit-local: ${error.message}\n`);
      exitCode = EXIT.usage;
      return;
    }
    const controller = new AbortController();
    let firstAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (controller.signal.aborted) {
        // The same Ctrl-C forwarded by a parent (npm) arrives within milliseconds: not a second one.
        if (Date.now() - firstAt < 300) return;
        process.stderr.write(`second ${signal}: exiting without waiting\n`);
        process.exit(signalExitCode(signal));
      }
      firstAt = Date.now();
      process.stdout.write(`\n${signal}: stopping everything…\n`);
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      exitCode = await runLocalAvs(config, {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        stop: controller.signal,
        ...(whenReady !== undefined ? { whenReady } : {}),
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
  await command.parseAsync([...argv], { from: "user" });
  return exitCode;
}
