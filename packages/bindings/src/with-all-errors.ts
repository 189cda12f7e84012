import type { Abi } from "viem";
import { allContractErrorsAbi } from "./generated/allContractErrors.js";

type AbiError = Extract<Abi[number], { type: "error" }>;

function signatureOf(error: AbiError): string {
  return `${error.name}(${error.inputs.map((input) => input.type).join(",")})`;
}

/**
 * `abi` plus every custom error of the project's contracts (bindings' generated list) that it
 * lacks, so viem can name any revert: one raised in an inner contract bubbles up unchanged, and
 * the outer contract's ABI alone cannot decode it.
 */
export function withAllErrors<const A extends Abi>(abi: A): A {
  const own = new Set(
    abi.filter((item): item is AbiError => item.type === "error").map((item) => signatureOf(item)),
  );
  const missing = (allContractErrorsAbi as readonly AbiError[]).filter(
    (error) => !own.has(signatureOf(error)),
  );
  return [...abi, ...missing] as unknown as A;
}
