import { BaseError } from "viem";

/** The aggregator cannot serve right now for a reason of its own (chain unreachable, shutting down). */
export class AggregatorUnavailableError extends Error {
  readonly code: "UNAVAILABLE";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AggregatorUnavailableError";
    this.code = "UNAVAILABLE";
  }
}

/** The first line of an error's message, for logs: viem's full messages hold whole ABIs. */
export function briefly(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return String((error as Error)?.message ?? error).split("\n")[0]!;
}
