import { expect } from "vitest";
import { revertErrorArgs, revertErrorName } from "../src/index.js";

/**
 * Awaits `attempt`, which must fail with the contract's custom error `errorName` as viem decodes
 * it (`ContractFunctionRevertedError.data.errorName`). Returns the error's decoded arguments.
 */
export async function expectRevert(
  attempt: Promise<unknown>,
  errorName: string,
): Promise<readonly unknown[]> {
  let caught: unknown;
  try {
    await attempt;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a revert with ${errorName}, but the call succeeded`).toBeDefined();
  const name = revertErrorName(caught);
  expect(
    name,
    `expected ${errorName}; got: ${(caught as Error).message.split("\n").slice(0, 3).join(" | ")}`,
  ).toBe(errorName);
  return revertErrorArgs(caught) ?? [];
}
