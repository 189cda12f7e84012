import { allContractErrorsAbi } from "@avskit/bindings";
import type { ReadClient, WriteClient } from "@avskit/runtime";
import {
  type Abi,
  type Address,
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  type Hash,
  type Hex,
  isHex,
  type TransactionReceipt,
} from "viem";
import { TransactionRevertedError } from "../errors.js";

/** One contract call, described loosely enough to be logged and retried. */
export interface ContractCall {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
}

export interface DecodedRevert {
  readonly errorName?: string;
  readonly errorArgs?: readonly unknown[];
  readonly reason?: string;
}

/** The revert data somewhere in a viem error's cause chain (JSON-RPC puts it in `data`). */
function revertDataOf(error: unknown): Hex | undefined {
  let found: Hex | undefined;
  const visit = (candidate: unknown) => {
    const data = (candidate as { data?: unknown })?.data;
    if (typeof data === "string" && isHex(data) && data.length >= 10) found = data;
    else if (typeof (data as { data?: unknown })?.data === "string") {
      const inner = (data as { data: string }).data;
      if (isHex(inner) && inner.length >= 10) found = inner;
    }
    const raw = (candidate as { raw?: unknown })?.raw;
    if (found === undefined && typeof raw === "string" && isHex(raw) && raw.length >= 10) found = raw;
    return found !== undefined;
  };
  if (error instanceof BaseError) error.walk(visit);
  else visit(error);
  return found;
}

/**
 * Names the custom error of a failed call, whichever contract raised it: a call into the
 * registry coordinator can fail deep inside a registry or the restaking contracts, and the revert
 * data carries only the selector, so it is decoded against every contract's errors.
 */
export function decodeRevert(error: unknown): DecodedRevert {
  const data = revertDataOf(error);
  if (data !== undefined) {
    try {
      const decoded = decodeErrorResult({ abi: allContractErrorsAbi, data });
      return { errorName: decoded.errorName, errorArgs: decoded.args ?? [] };
    } catch {
      // Error(string) and Panic(uint256) decode against viem's built-ins.
      try {
        const builtIn = decodeErrorResult({ abi: [], data });
        return { errorName: builtIn.errorName, errorArgs: builtIn.args ?? [] };
      } catch {
        return { reason: `unknown error data ${data.slice(0, 10)}` };
      }
    }
  }
  const short = error instanceof BaseError ? error.shortMessage : (error as Error)?.message;
  return { reason: short ?? String(error) };
}

function isRevert(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return (
    revertDataOf(error) !== undefined ||
    error.walk((e) => /revert/i.test((e as BaseError).shortMessage ?? (e as Error).message ?? "")) !== null
  );
}

/**
 * Sends one transaction: simulated first, so a revert is reported with its decoded error
 * before any gas is spent; then sent and awaited. A failure names the step.
 */
export async function sendTransaction(
  publicClient: ReadClient,
  walletClient: WriteClient,
  step: string,
  call: ContractCall,
): Promise<TransactionReceipt> {
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args });
  const request = { account: walletClient.account, to: call.address, data } as const;
  try {
    await publicClient.call(request);
  } catch (error) {
    if (isRevert(error)) throw new TransactionRevertedError(step, decodeRevert(error), { cause: error });
    throw error;
  }
  let hash: Hash;
  try {
    hash = await walletClient.sendTransaction({ ...request, chain: walletClient.chain });
  } catch (error) {
    if (isRevert(error)) throw new TransactionRevertedError(step, decodeRevert(error), { cause: error });
    throw error;
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    // The state changed between the simulation and inclusion; replay at that block for the reason.
    let detail: DecodedRevert = { reason: "reverted on-chain" };
    try {
      await publicClient.call({ ...request, blockNumber: receipt.blockNumber });
    } catch (error) {
      detail = decodeRevert(error);
    }
    throw new TransactionRevertedError(step, { ...detail, transactionHash: hash });
  }
  return receipt;
}
