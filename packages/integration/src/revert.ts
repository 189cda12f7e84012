import { BaseError, ContractFunctionRevertedError } from "viem";

/**
 * The custom error name viem decoded from a revert (`ContractFunctionRevertedError.data.errorName`),
 * or undefined when the error is not a decoded contract revert.
 */
export function revertErrorName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.errorName;
}

/** The decoded arguments of the custom error, when there is one. */
export function revertErrorArgs(error: unknown): readonly unknown[] | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((cause) => cause instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  return reverted.data?.args;
}
