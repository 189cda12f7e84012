import type { Hex } from "viem";
import { LOCALHOST } from "./ports.js";
import type { ServiceSpec } from "./service-process.js";

/** Where every service finds the chain and the contracts. */
export interface ChainEndpoint {
  readonly rpcUrl: string;
  /** Folder of `<chainId>.json`, written by the deploy step. */
  readonly deploymentsDir: string;
}

interface CommonOptions {
  readonly chain: ChainEndpoint;
  readonly metricsPort: number;
  readonly logLevel?: string;
  /** More flags, appended last (tests use the operators' test-only fault options). */
  readonly extraArgs?: readonly string[];
}

const ms = (value: number) => `${value}ms`;
const address = (port: number) => `${LOCALHOST}:${port}`;
const healthAt = (port: number) => `http://${address(port)}/health`;
const metricsAt = (port: number) => `http://${address(port)}/metrics`;

function tail(options: CommonOptions): string[] {
  return ["--log-level", options.logLevel ?? "info", "--log-format", "json", ...(options.extraArgs ?? [])];
}

export interface AggregatorServiceOptions extends CommonOptions {
  /** An account with AGGREGATOR_ROLE. */
  readonly privateKey: Hex;
  readonly port: number;
}

export function aggregatorUrl(port: number): string {
  return `http://${address(port)}`;
}

export function aggregatorService(options: AggregatorServiceOptions): ServiceSpec {
  return {
    name: "aggregator",
    packageName: "@avskit/aggregator",
    binName: "avskit-aggregator",
    args: [
      "--rpc-url",
      options.chain.rpcUrl,
      "--deployments-dir",
      options.chain.deploymentsDir,
      "--listen",
      address(options.port),
      "--metrics-addr",
      address(options.metricsPort),
      ...tail(options),
    ],
    env: { AVSKIT_AGGREGATOR_ECDSA_PRIVATE_KEY: options.privateKey },
    healthUrl: `${aggregatorUrl(options.port)}/health`,
    metricsUrl: metricsAt(options.metricsPort),
    summary: `API ${aggregatorUrl(options.port)}  metrics ${metricsAt(options.metricsPort)}`,
  };
}

export interface OperatorServiceOptions extends CommonOptions {
  readonly name: string;
  readonly blsKeyPath: string;
  /** Its registered ECDSA keystore: the operator logs in to the aggregator with it. */
  readonly ecdsaKeyPath: string;
  readonly keysDir: string;
  /**
   * The password of both key files: handed over in AVSKIT_BLS_KEY_PASSWORD and
   * AVSKIT_ECDSA_KEY_PASSWORD, never as a flag.
   */
  readonly password: string;
  readonly aggregatorUrl: string;
  readonly pollIntervalMs?: number;
}

export function operatorService(options: OperatorServiceOptions): ServiceSpec {
  return {
    name: options.name,
    packageName: "@avskit/operator",
    binName: "avskit-operator",
    args: [
      "run",
      "--rpc-url",
      options.chain.rpcUrl,
      "--deployments-dir",
      options.chain.deploymentsDir,
      "--keys-dir",
      options.keysDir,
      "--bls-key",
      options.blsKeyPath,
      "--ecdsa-key",
      options.ecdsaKeyPath,
      "--aggregator-url",
      options.aggregatorUrl,
      "--metrics-addr",
      address(options.metricsPort),
      "--poll-interval",
      ms(options.pollIntervalMs ?? 500),
      ...tail(options),
    ],
    env: { AVSKIT_BLS_KEY_PASSWORD: options.password, AVSKIT_ECDSA_KEY_PASSWORD: options.password },
    healthUrl: healthAt(options.metricsPort),
    metricsUrl: metricsAt(options.metricsPort),
    summary: `metrics ${metricsAt(options.metricsPort)}`,
  };
}

export interface TaskGeneratorServiceOptions extends CommonOptions {
  /** An account with TASK_GENERATOR_ROLE. */
  readonly privateKey: Hex;
  readonly intervalMs: number;
  readonly thresholdPercentage?: number;
  readonly maxTasks?: number;
}

export function taskGeneratorService(options: TaskGeneratorServiceOptions): ServiceSpec {
  const threshold = options.thresholdPercentage;
  const maxTasks = options.maxTasks;
  return {
    name: "task-generator",
    packageName: "@avskit/task-generator",
    binName: "avskit-task-generator",
    args: [
      "--rpc-url",
      options.chain.rpcUrl,
      "--deployments-dir",
      options.chain.deploymentsDir,
      "--interval",
      ms(options.intervalMs),
      "--poll-interval",
      "200ms",
      "--metrics-addr",
      address(options.metricsPort),
      ...(threshold === undefined ? [] : ["--threshold-percentage", String(threshold)]),
      ...(maxTasks === undefined ? [] : ["--max-tasks", String(maxTasks)]),
      ...tail(options),
    ],
    env: { AVSKIT_TASK_GENERATOR_ECDSA_PRIVATE_KEY: options.privateKey },
    healthUrl: healthAt(options.metricsPort),
    metricsUrl: metricsAt(options.metricsPort),
    summary: `a task every ${options.intervalMs / 1000} s${
      threshold === undefined ? "" : `, threshold ${threshold}%`
    }  metrics ${metricsAt(options.metricsPort)}`,
  };
}

export interface ChallengerServiceOptions extends CommonOptions {
  /** Pays for challenges; any funded account. */
  readonly privateKey: Hex;
}

export function challengerService(options: ChallengerServiceOptions): ServiceSpec {
  return {
    name: "challenger",
    packageName: "@avskit/challenger",
    binName: "avskit-challenger",
    args: [
      "--rpc-url",
      options.chain.rpcUrl,
      "--deployments-dir",
      options.chain.deploymentsDir,
      "--poll-interval",
      "500ms",
      "--metrics-addr",
      address(options.metricsPort),
      ...tail(options),
    ],
    env: { AVSKIT_CHALLENGER_ECDSA_PRIVATE_KEY: options.privateKey },
    healthUrl: healthAt(options.metricsPort),
    metricsUrl: metricsAt(options.metricsPort),
    summary: `metrics ${metricsAt(options.metricsPort)}`,
  };
}

export interface AvsSyncServiceOptions extends CommonOptions {
  /** Pays for stake updates; any funded account. */
  readonly privateKey: Hex;
  readonly syncIntervalMs: number;
}

export function avsSyncService(options: AvsSyncServiceOptions): ServiceSpec {
  return {
    name: "avs-sync",
    packageName: "@avskit/avs-sync",
    binName: "avs-sync",
    args: [
      "--eth-http-url",
      options.chain.rpcUrl,
      "--deployments-dir",
      options.chain.deploymentsDir,
      "--sync-interval",
      ms(options.syncIntervalMs),
      "--retry-initial-backoff",
      "500ms",
      "--retry-max-backoff",
      "5s",
      "--metrics-addr",
      address(options.metricsPort),
      ...tail(options),
    ],
    env: { AVS_SYNC_ECDSA_PRIVATE_KEY: options.privateKey },
    healthUrl: healthAt(options.metricsPort),
    metricsUrl: metricsAt(options.metricsPort),
    summary: `syncs stakes every ${options.syncIntervalMs / 1000} s  metrics ${metricsAt(options.metricsPort)}`,
  };
}
