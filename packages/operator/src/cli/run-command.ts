import { addOptions, createLogger, loggingOptions, opt, redactConfig, resolveConfig } from "@avskit/runtime";
import type { Command } from "commander";
import { z } from "zod";
import { REQUEST_KINDS } from "../run/faults.js";
import { startOperator } from "../run/operator.js";
import type { CliIo } from "./io.js";
import { loadBlsKeyFromConfig } from "./loaders.js";
import { blsKeyOptions, chainOptions, ENV_PREFIX, keysDirOption, SECRET_ENV } from "./options.js";

export const runSpecs = {
  ...chainOptions,
  ...keysDirOption,
  ...blsKeyOptions,
  aggregatorUrl: {
    flag: "--aggregator-url",
    value: "url",
    description: "base URL of the aggregator's HTTP API",
    schema: opt.url(),
    required: true,
  },
  metricsAddress: {
    flag: "--metrics-address",
    value: "host:port",
    description: "where to serve /metrics and /health, or none",
    schema: z.union([z.literal("none").transform(() => undefined), opt.listenAddress()]),
    default: "127.0.0.1:9090",
  },
  pollInterval: {
    flag: "--poll-interval",
    value: "duration",
    description: "how often to look for new blocks and task events",
    schema: opt.duration(),
    default: "1s",
  },
  retryInitialDelay: {
    flag: "--retry-initial-delay",
    value: "duration",
    description:
      "first delay before re-sending a response the aggregator could not take yet (doubles each time)",
    schema: opt.duration(),
    default: "200ms",
  },
  retryMaxDelay: {
    flag: "--retry-max-delay",
    value: "duration",
    description: "longest delay between re-sends",
    schema: opt.duration(),
    default: "5s",
  },
  requestTimeout: {
    flag: "--request-timeout",
    value: "duration",
    description: "bound on each request to the aggregator",
    schema: opt.duration(),
    default: "5s",
  },
  wrongAnswerFraction: {
    flag: "--wrong-answer-fraction",
    value: "0..1",
    description: "TEST ONLY: answer this fraction of tasks with a wrong (but correctly signed) sum",
    schema: z.coerce.number().min(0, "must be ≥ 0").max(1, "must be ≤ 1"),
    default: "0",
  },
  faultMode: {
    flag: "--fault-mode",
    value: "kinds",
    description: `TEST ONLY: requests to send per task, in order, instead of the honest one alone: ${REQUEST_KINDS.join(
      ", ",
    )} (e.g. malformed-signature,forged-signature to send only bad ones; add honest to send the real one too)`,
    schema: opt.list(opt.enum(REQUEST_KINDS)),
  },
  ...loggingOptions,
} as const;

export function addRunCommand(program: Command, io: CliIo): void {
  const run = program
    .command("run")
    .description(
      "run the operator: watch for tasks (catching up on the response window after a restart), compute the sum, BLS-sign it and send it to the aggregator with retries; serves /metrics and /health",
    );
  addOptions(run, runSpecs, ENV_PREFIX).addHelpText(
    "after",
    `\nThe BLS key's password comes from ${SECRET_ENV.blsKeyPassword} or --bls-password-file. SIGINT/SIGTERM stop it gracefully.`,
  );
  run.action(async () => {
    const config = resolveConfig(run, runSpecs, ENV_PREFIX, io.env);
    const logger = createLogger({ name: "operator", level: config.logLevel, format: config.logFormat });
    logger.info({ config: redactConfig(runSpecs, config) }, "starting");
    const blsKeyPair = await loadBlsKeyFromConfig(config, io);
    const operator = await startOperator({
      rpcUrl: config.rpcUrl,
      registryCoordinator: config.registryCoordinator,
      deploymentsDir: config.deploymentsDir,
      blsKeyPair,
      aggregatorUrl: config.aggregatorUrl,
      metricsAddress: config.metricsAddress,
      pollIntervalMs: config.pollInterval,
      retry: {
        initialDelayMs: config.retryInitialDelay,
        maxDelayMs: config.retryMaxDelay,
        requestTimeoutMs: config.requestTimeout,
      },
      logger,
      testing: { wrongAnswerFraction: config.wrongAnswerFraction, requests: config.faultMode },
    });
    await io.waitForStop((reason) => operator.stop(reason));
  });
}
