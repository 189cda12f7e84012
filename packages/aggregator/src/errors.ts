import { REJECTIONS } from "@avskit/aggregator-api";
import { BaseError } from "viem";

/**
 * The aggregator cannot serve right now for a reason of its own (chain unreachable, shutting
 * down). It carries its status and retry flag, so the HTTP API answers it as the refusal it is.
 */
export class AggregatorUnavailableError extends Error {
  readonly code: "UNAVAILABLE";
  readonly status: number;
  readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AggregatorUnavailableError";
    this.code = "UNAVAILABLE";
    this.status = REJECTIONS.UNAVAILABLE.status;
    this.retryable = REJECTIONS.UNAVAILABLE.retryable;
  }
}

/** The first line of an error's message, for logs: viem's full messages hold whole ABIs. */
export function briefly(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return String((error as Error)?.message ?? error).split("\n")[0]!;
}
