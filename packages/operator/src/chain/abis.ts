import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  delegationManagerAbi,
  indexRegistryAbi,
  iStrategyAbi,
  registryCoordinatorAbi,
  serviceManagerAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  taskManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import { type Abi, erc20Abi, toFunctionSelector } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;

export {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  delegationManagerAbi,
  iStrategyAbi,
  registryCoordinatorAbi,
  serviceManagerAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
  strategyVaultAbi,
  taskManagerAbi,
  testTokenAbi,
};

/**
 * Every custom error any contract the operator talks to can revert with. A call into the
 * registry coordinator can fail deep inside a registry or the restaking contracts, and the
 * revert data carries only the selector: decoding against the union names the error whichever
 * contract raised it.
 */
export const ALL_ERRORS_ABI: Abi = (() => {
  const seen = new Map<string, AbiError>();
  const abis: readonly Abi[] = [
    registryCoordinatorAbi,
    stakeRegistryAbi,
    blsApkRegistryAbi,
    indexRegistryAbi,
    serviceManagerAbi,
    taskManagerAbi,
    delegationManagerAbi,
    strategyManagerAbi,
    strategyVaultAbi,
    avsDirectoryAbi,
    testTokenAbi,
    erc20Abi,
  ];
  for (const abi of abis) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
      // Same selector, same decoding: the first definition is kept.
      const selector = toFunctionSelector(signature);
      if (!seen.has(selector)) seen.set(selector, item);
    }
  }
  return [...seen.values()];
})();
