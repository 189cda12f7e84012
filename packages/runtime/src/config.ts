import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { z } from "zod";
import { ConfigError } from "./errors.js";

/** One configuration value: a flag, its environment variable, its schema and default. */
export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** The flag without value syntax, e.g. "--eth-http-url". */
  readonly flag: `--${string}`;
  readonly description: string;
  readonly schema: S;
  /** Raw default, in the form a user would type it; shown in --help. */
  readonly default?: string;
  /** Placeholder for the value in --help; omit for booleans ("--dry-run" alone means true). */
  readonly value?: string;
  /** Leave out of logs (keys, passwords). */
  readonly secret?: boolean;
  /** Required when no default exists. Defaults to false. */
  readonly required?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type ConfigOf<T extends OptionSpecs> = {
  [K in keyof T]: T[K]["required"] extends true
    ? z.output<T[K]["schema"]>
    : T[K]["default"] extends string
      ? z.output<T[K]["schema"]>
      : z.output<T[K]["schema"]> | undefined;
};

/** "--eth-http-url" with prefix "AVS_SYNC_" → "AVS_SYNC_ETH_HTTP_URL". */
export function envNameFor(flag: string, envPrefix: string): string {
  return envPrefix + flag.replace(/^--/, "").replace(/[-.]/g, "_").toUpperCase();
}

function keyOfFlag(flag: string): string {
  return flag.replace(/^--/, "").replace(/[-.]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Adds the options to a commander command, with each option's env var and default in its
 * help line, plus `--config <file>` for a JSON config file. Defaults are not given to
 * commander so that resolveConfig can apply the precedence flag > env > file > default.
 */
export function addOptions(command: Command, specs: OptionSpecs, envPrefix: string): Command {
  for (const spec of Object.values(specs)) {
    const syntax = spec.value ? `${spec.flag} <${spec.value}>` : `${spec.flag} [bool]`;
    const notes = [`env ${envNameFor(spec.flag, envPrefix)}`];
    if (spec.default !== undefined) notes.push(`default ${spec.default === "" ? '""' : spec.default}`);
    if (spec.required) notes.push("required");
    command.option(syntax, `${spec.description} [${notes.join("; ")}]`);
  }
  command.option(
    "--config <file>",
    `JSON file of option values, keyed by flag name [env ${envPrefix}CONFIG]`,
  );
  return command;
}

function readConfigFile(path: string, envPrefix: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(
      "--config",
      `${envPrefix}CONFIG`,
      `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("--config", `${envPrefix}CONFIG`, `${path} must hold a JSON object`);
  }
  const normalised: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) normalised[keyOfFlag(`--${key}`)] = value;
  return normalised;
}

/**
 * Resolves and validates every option once, at start-up: command line, then environment,
 * then config file, then default. The first invalid value throws a ConfigError naming the
 * flag and its env var.
 */
export function resolveConfig<T extends OptionSpecs>(
  command: Command,
  specs: T,
  envPrefix: string,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<T> {
  const cli = command.opts<Record<string, unknown>>();
  const configPath = (cli.config as string | undefined) ?? env[`${envPrefix}CONFIG`];
  const file = configPath ? readConfigFile(configPath, envPrefix) : {};
  const result: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const envName = envNameFor(spec.flag, envPrefix);
    const flagKey = keyOfFlag(spec.flag);
    const raw = cli[flagKey] ?? env[envName] ?? file[flagKey] ?? spec.default;
    if (raw === undefined || raw === "") {
      if (spec.required) throw new ConfigError(spec.flag, envName, "is required");
      result[key] = undefined;
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const problem = parsed.error.issues.map((issue) => issue.message).join("; ");
      throw new ConfigError(spec.flag, envName, spec.secret ? problem : `${JSON.stringify(raw)}: ${problem}`);
    }
    result[key] = parsed.data;
  }
  return result as ConfigOf<T>;
}

/**
 * Resolves option values given in code (keyed like the config, plus `config` for a file) exactly
 * as flags would be: they take a flag's place in resolveConfig's precedence.
 */
export function resolveConfigValues<T extends OptionSpecs>(
  command: Command,
  specs: T,
  envPrefix: string,
  values: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): ConfigOf<T> {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) command.setOptionValue(key, value);
  }
  return resolveConfig(command, specs, envPrefix, env);
}

/** The config with secret values masked, fit for a start-up log line. */
export function redactConfig<T extends OptionSpecs>(specs: T, config: ConfigOf<T>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    shown[key] = specs[key]?.secret && value !== undefined ? "<redacted>" : value;
  }
  return shown;
}
