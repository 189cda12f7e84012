import { allContractErrorsAbi } from "@avskit/bindings";
import {
  type Address,
  BaseError,
  concat,
  decodeErrorResult,
  type Hex,
  hexToBigInt,
  hexToBytes,
  isHex,
  pad,
} from "viem";

import type { TestAvs } from "./avs.js";
import { UnexpectedChainStateError } from "./errors.js";

/**
 * Runtime code of a gas meter, hand-assembled so it needs no compiler:
 * calldata = 32-byte target address ‖ payload. It copies the payload to memory, reads GAS,
 * CALLs the target with it, reads GAS again and returns the difference as one 32-byte word;
 * if the call reverts it reverts with the same data. The figure is what a contract calling the
 * target would pay for that call (cold account access included), plus ~30 gas of stack work:
 * the same thing the middleware's tests measure with gasleft() around an external call.
 */
export const GAS_METER_RUNTIME: Hex = concat([
  "0x602036038060206000375a", // size = calldatasize - 32; calldatacopy(0, 32, size); GAS (g0)
  "0x6000600083600060006000355af1", // CALL(gas, calldataload(0), 0, 0, size, 0, 0)
  "0x5a820390", // GAS (g1); g0 - g1; swap with the success flag
  "0x602a57", // jump to 0x2a on success
  "0x3d600060003e3d6000fd", // revert with the callee's revert data
  "0x5b60005260206000f3", // 0x2a: mstore(0, delta); return(0, 32)
]);

/** Where `installGasMeter` puts the meter (anvil_setCode), away from any deployed contract. */
export const GAS_METER_ADDRESS: Address = "0x00000000000000000000000000000000006a5000";

/** Installs the gas meter on the test chain with anvil_setCode. */
export async function installGasMeter(avs: TestAvs, address: Address = GAS_METER_ADDRESS): Promise<Address> {
  await avs.testClient.setCode({ address, bytecode: GAS_METER_RUNTIME });
  return address;
}

/** A revert of the measured call, decoded against every project contract error when possible. */
export class MeasuredCallRevertedError extends UnexpectedChainStateError {
  readonly data: Hex;
  readonly errorName: string | undefined;

  constructor(data: Hex) {
    let errorName: string | undefined;
    try {
      errorName = decodeErrorResult({ abi: allContractErrorsAbi, data }).errorName;
    } catch {
      errorName = undefined;
    }
    super(`the measured call reverted${errorName ? ` with ${errorName}` : ""} (data ${data.slice(0, 74)})`);
    this.data = data;
    this.errorName = errorName;
  }
}

function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  let data: Hex | undefined;
  error.walk((cause) => {
    const candidate = (cause as { data?: unknown }).data;
    if (typeof candidate === "string" && isHex(candidate)) {
      data = candidate;
      return true;
    }
    return false;
  });
  return data;
}

/**
 * Gas a contract would spend calling `target` with `calldata`, measured on-chain by the gas
 * meter inside an eth_call (so views cost nothing to measure and change nothing).
 */
export async function measureCallGas(
  avs: TestAvs,
  target: Address,
  calldata: Hex,
  meter: Address = GAS_METER_ADDRESS,
): Promise<bigint> {
  let result: Hex | undefined;
  try {
    ({ data: result } = await avs.client.call({
      to: meter,
      data: concat([pad(target, { size: 32 }), calldata]),
      gas: 100_000_000n,
    }));
  } catch (error) {
    const data = revertData(error);
    if (data !== undefined) throw new MeasuredCallRevertedError(data);
    throw error;
  }
  if (result === undefined || result.length !== 66) {
    throw new UnexpectedChainStateError(`the gas meter returned ${result ?? "nothing"}`);
  }
  return hexToBigInt(result);
}

/** Calldata gas of a transaction's input: 4 per zero byte, 16 per other byte (EIP-2028). */
export function calldataGas(data: Hex): bigint {
  let gas = 0n;
  for (const byte of hexToBytes(data)) gas += byte === 0 ? 4n : 16n;
  return gas;
}
