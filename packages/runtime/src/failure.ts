import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";

export type FailureReason = "rpc" | "reverted" | "timeout" | "other";

/** What went wrong with one chain call, for the log line and the failure metric. */
export interface FailureDescription {
  readonly reason: FailureReason;
  readonly message: string;
  /** The contract's custom error (or `Error` / the bare selector), when the call reverted. */
  readonly errorName?: string;
  readonly errorArgs?: readonly unknown[];
}

function shortMessage(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}

/** Node's fetch reports a refused or reset connection as a TypeError("fetch failed"). */
function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT")
      return true;
    if (current.message === "fetch failed") return true;
    current = current.cause;
  }
  return false;
}

/**
 * Sorts a viem failure into a revert (with the decoded custom error's name and arguments), a
 * receipt timeout, an unreachable or failing RPC endpoint, or anything else.
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const errorName =
        reverted.data?.errorName ??
        (reverted.reason !== undefined ? "Error" : undefined) ??
        reverted.signature;
      const errorArgs =
        reverted.data?.args ?? (reverted.reason !== undefined ? [reverted.reason] : undefined);
      return {
        reason: "reverted",
        message: reverted.shortMessage,
        ...(errorName !== undefined ? { errorName } : {}),
        ...(errorArgs !== undefined ? { errorArgs } : {}),
      };
    }
    if (error.walk((e) => e instanceof WaitForTransactionReceiptTimeoutError)) {
      return { reason: "timeout", message: error.shortMessage };
    }
    if (error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError)) {
      return { reason: "rpc", message: error.shortMessage };
    }
  }
  if (isConnectionFailure(error)) return { reason: "rpc", message: shortMessage(error) };
  return { reason: "other", message: shortMessage(error) };
}
