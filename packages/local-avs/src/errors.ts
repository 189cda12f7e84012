/** Base class of this package's errors; `code` is stable and machine-readable. */
export class LocalAvsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A port the devnet needs on 127.0.0.1 is taken by another process. */
export class PortInUseError extends LocalAvsError {
  readonly port: number;
  constructor(port: number, what: string, hint: string) {
    super("PORT_IN_USE", `port ${port} on 127.0.0.1 (${what}) is already in use: ${hint}`);
    this.port = port;
  }
}

/** A service's built entry point is missing (the workspace was not built). */
export class ServiceBinaryNotFoundError extends LocalAvsError {
  constructor(packageName: string, detail: string) {
    super(
      "SERVICE_BINARY_NOT_FOUND",
      `cannot find the CLI of ${packageName}: ${detail} (run \`npm run build\` at the repo root)`,
    );
  }
}

/** anvil exited while the devnet was running, without being asked to. */
export class AnvilDiedError extends LocalAvsError {
  readonly exitCode: number | null;
  constructor(pid: number, exitCode: number | null) {
    super(
      "ANVIL_DIED",
      `anvil (pid ${pid}) ${exitCode === null ? "was killed by a signal" : `exited with code ${exitCode}`} unexpectedly`,
    );
    this.exitCode = exitCode;
  }
}

/** A service did not become healthy in time, or exited while starting. */
export class ServiceStartError extends LocalAvsError {
  readonly service: string;
  constructor(service: string, reason: string, logFile: string) {
    super("SERVICE_START_FAILED", `${service} did not start: ${reason} (see ${logFile})`);
    this.service = service;
  }
}

/** A service exited while the devnet was running, without being asked to. */
export class ServiceDiedError extends LocalAvsError {
  readonly service: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `how` says who ended it: "exited with code 1", "was killed by SIGKILL from outside". */
  constructor(
    service: string,
    pid: number,
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    how: string,
  ) {
    super("SERVICE_DIED", `${service} (pid ${pid}) ${how}, unexpectedly`);
    this.service = service;
    this.exitCode = exitCode;
    this.signal = signal;
  }
}
