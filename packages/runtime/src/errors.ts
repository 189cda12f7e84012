/** A flag, environment variable or config-file value that failed validation. */
export class ConfigError extends Error {
  readonly flag: string;
  readonly env: string | undefined;
  constructor(flag: string, env: string | undefined, problem: string) {
    super(`invalid ${flag}${env ? ` (env ${env})` : ""}: ${problem}`);
    this.name = "ConfigError";
    this.flag = flag;
    this.env = env;
  }
}
