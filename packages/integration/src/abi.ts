import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  delegationManagerAbi,
  indexRegistryAbi,
  operatorStateRetrieverAbi,
  registryCoordinatorAbi,
  serviceManagerAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  taskManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import { type Abi, toFunctionSelector } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;

const SOURCES: readonly Abi[] = [
  registryCoordinatorAbi,
  stakeRegistryAbi,
  blsApkRegistryAbi,
  indexRegistryAbi,
  serviceManagerAbi,
  taskManagerAbi,
  operatorStateRetrieverAbi,
  avsDirectoryAbi,
  delegationManagerAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  testTokenAbi,
];

function signatureOf(error: AbiError): string {
  return `${error.name}(${error.inputs.map((input) => input.type).join(",")})`;
}

/**
 * Every custom error of the AVS and restaking contracts, once each. A revert raised in an inner
 * contract (say the BLS APK registry, called by the coordinator) bubbles up unchanged, so the
 * outer contract's ABI alone cannot name it.
 */
export const allContractErrors: readonly AbiError[] = (() => {
  const seen = new Set<string>();
  const errors: AbiError[] = [];
  for (const abi of SOURCES) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const selector = toFunctionSelector(signatureOf(item));
      if (seen.has(selector)) continue;
      seen.add(selector);
      errors.push(item);
    }
  }
  return errors;
})();

/** `abi` plus every custom error of the project's contracts, so viem can decode any revert. */
export function withAllErrors<const A extends Abi>(abi: A): A {
  const own = new Set(
    abi.filter((item): item is AbiError => item.type === "error").map((item) => signatureOf(item)),
  );
  return [...abi, ...allContractErrors.filter((error) => !own.has(signatureOf(error)))] as unknown as A;
}
