import { defineService, opt, pollIntervalOption, positiveDuration } from "@avskit/runtime";
import { z } from "zod";
import { loadBlsKeyFromConfig, loadEcdsaAccountFromConfig } from "../cli/loaders.js";
import {
  blsKeyOptions,
  chainOptions,
  ENV_PREFIX,
  ecdsaKeyOptions,
  keysDirOption,
  SECRET_ENV,
} from "../cli/options.js";
import { InvalidUsageError, isOperatorUsageError } from "../errors.js";
import type { OperatorEvent } from "./events.js";
import { REQUEST_KINDS } from "./faults.js";
import { type RunningOperator, startOperator } from "./operator.js";

/** The options of `avskit-operator run` (the kit adds --metrics-addr, --log-level, --log-format). */
export const runOptions = {
  ...chainOptions,
  ...keysDirOption,
  ...blsKeyOptions,
  ecdsaKey: {
    ...ecdsaKeyOptions.ecdsaKey,
    description: `the operator's registered ECDSA key, which signs its logins to the aggregator: a keystore name in --keys-dir (<name>.ecdsa.key.json) or a file path (else the raw key in ${SECRET_ENV.ecdsaPrivateKey})`,
  },
  ecdsaPasswordFile: ecdsaKeyOptions.ecdsaPasswordFile,
  aggregatorUrl: {
    flag: "--aggregator-url",
    value: "url",
    description: "base URL of the aggregator's HTTP API",
    schema: opt.url(),
    required: true,
  },
  pollInterval: pollIntervalOption("1s", "how often to look for new blocks and task events"),
  retryInitialDelay: {
    flag: "--retry-initial-delay",
    value: "duration",
    description:
      "first delay before re-sending a response the aggregator could not take yet (doubles each time)",
    schema: positiveDuration("200ms, 5s"),
    default: "200ms",
  },
  retryMaxDelay: {
    flag: "--retry-max-delay",
    value: "duration",
    description: "longest delay between re-sends",
    schema: positiveDuration("200ms, 5s"),
    default: "5s",
  },
  requestTimeout: {
    flag: "--request-timeout",
    value: "duration",
    description: "bound on each request to the aggregator",
    schema: positiveDuration("200ms, 5s"),
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
} as const;

/** What an in-process caller (a test, a UI) may hand `run` beside its configuration. */
export interface OperatorRunDeps {
  /** Progress hook; must not throw. */
  readonly onEvent?: (event: OperatorEvent) => void;
  /** Randomness of the wrong-answer draw. */
  readonly random?: () => number;
}

const noStdin = (): Promise<string> =>
  Promise.reject(new InvalidUsageError("run reads no secret from standard input"));

/** `avskit-operator run` as a service of the runtime's kit. */
export const operatorRunService = defineService({
  bin: "avskit-operator",
  name: "operator",
  description:
    "run the operator: watch for tasks (catching up on the response window after a restart), compute the sum, BLS-sign it and send it to the aggregator with retries; serves /metrics and /health",
  envPrefix: ENV_PREFIX,
  options: runOptions,
  metricsAddr: "127.0.0.1:9090",
  helpAfter: `
The BLS key's password comes from ${SECRET_ENV.blsKeyPassword} or --bls-password-file, the ECDSA
keystore's from ${SECRET_ENV.ecdsaKeyPassword} or --ecdsa-password-file, never from a flag. The operator
logs in to the aggregator with its ECDSA key before its first response (and again when the
aggregator restarted or the session expired).
SIGINT/SIGTERM stop it gracefully (a second one exits at once). Exit codes: 0 stopped as asked;
1 could not start (unreachable RPC, no contract, wrong password…), failed, or did not stop in
time; 2 invalid options.`,
  isUsageError: isOperatorUsageError,
  async start(config, context, deps: OperatorRunDeps | undefined): Promise<RunningOperator> {
    const secrets = { env: context.env, readStdin: noStdin };
    const blsKeyPair = await loadBlsKeyFromConfig(config, secrets);
    const ecdsaAccount = await loadEcdsaAccountFromConfig(config, secrets);
    if (ecdsaAccount.type !== "local") {
      throw new InvalidUsageError(
        "the ECDSA key must be a local key (a keystore or a raw key) to sign logins",
      );
    }
    return startOperator({
      rpcUrl: config.rpcUrl,
      registryCoordinator: config.registryCoordinator,
      deploymentsDir: config.deploymentsDir,
      blsKeyPair,
      ecdsaAccount,
      aggregatorUrl: config.aggregatorUrl,
      pollIntervalMs: config.pollInterval,
      retry: {
        initialDelayMs: config.retryInitialDelay,
        maxDelayMs: config.retryMaxDelay,
        requestTimeoutMs: config.requestTimeout,
      },
      logger: context.logger,
      registry: context.registry,
      signal: context.signal,
      testing: {
        wrongAnswerFraction: config.wrongAnswerFraction,
        ...(config.faultMode !== undefined ? { requests: config.faultMode } : {}),
        ...(deps?.random !== undefined ? { random: deps.random } : {}),
      },
      ...(deps?.onEvent !== undefined ? { onEvent: deps.onEvent } : {}),
    });
  },
});
