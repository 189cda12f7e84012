/** Base class of the errors this package throws; `code` is stable and machine-readable. */
export class DevnetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No anvil binary could be found for this platform. */
export class AnvilNotFoundError extends DevnetError {
  constructor(detail: string) {
    super("ANVIL_NOT_FOUND", `cannot find the anvil binary: ${detail}`);
  }
}

/** anvil exited, or never answered JSON-RPC, while starting. `output` is the tail of its logs. */
export class AnvilStartError extends DevnetError {
  readonly output: string;
  constructor(reason: string, output: string) {
    const tail = output.trim() === "" ? "" : `\n--- anvil output (last lines) ---\n${output.trimEnd()}`;
    super("ANVIL_START_FAILED", `anvil failed to start: ${reason}${tail}`);
    this.output = output;
  }
}

/** A devnet option is out of range or malformed. */
export class InvalidDevnetOptionError extends DevnetError {
  readonly option: string;
  constructor(option: string, detail: string) {
    super("INVALID_DEVNET_OPTION", `invalid ${option}: ${detail}`);
    this.option = option;
  }
}
