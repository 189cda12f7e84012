import {
  proxyAdminAbi,
  proxyAdminBytecode,
  transparentUpgradeableProxyAbi,
  transparentUpgradeableProxyBytecode,
} from "@avskit/bindings";
import { type Address, encodeFunctionData, getAddress, type Hex, type PublicClient, sliceHex } from "viem";
import { DeployStepError } from "./errors.js";
import { callTx, deployTx, type PlannedTx, type TxRunner } from "./tx.js";

/** ERC-1967 admin slot: bytes32(uint256(keccak256("eip1967.proxy.admin")) - 1). */
const ADMIN_SLOT: Hex = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";

/**
 * Deploys the implementation every empty proxy starts with: a ProxyAdmin owned by the
 * deployer. Any contract with code will do (OpenZeppelin 5 proxies refuse an implementation
 * without code); this one is audited and harmless behind a proxy, where its owner slot reads
 * zero, so nothing can be called through the proxy before the real upgrade.
 */
export async function deployPlaceholder(runner: TxRunner): Promise<Address> {
  const [placeholder] = await runner.deployWave([
    deployTx(
      "deploying the placeholder implementation for empty proxies",
      {
        abi: proxyAdminAbi,
        bytecode: proxyAdminBytecode,
      },
      [runner.deployer],
    ),
  ]);
  return placeholder!;
}

/**
 * OpenZeppelin 5 proxies refuse to be constructed without an initializing call
 * (ERC1967ProxyUninitialized), to stop initializers being front-run. Ours are initialized
 * later, atomically with the upgrade by the ProxyAdmin owner, so the constructor call only
 * has to be harmless: the placeholder's pure `UPGRADE_INTERFACE_VERSION()` getter.
 */
const PLACEHOLDER_CALL = encodeFunctionData({
  abi: proxyAdminAbi,
  functionName: "UPGRADE_INTERFACE_VERSION",
});

/** A TransparentUpgradeableProxy pointing at the placeholder, its ProxyAdmin owned by the deployer. */
export function emptyProxyTx(name: string, placeholder: Address, admin: Address): PlannedTx {
  return deployTx(
    `deploying ${name} proxy`,
    { abi: transparentUpgradeableProxyAbi, bytecode: transparentUpgradeableProxyBytecode },
    [placeholder, admin, PLACEHOLDER_CALL],
  );
}

/** The ProxyAdmin an OpenZeppelin 5 proxy created for itself, read from the ERC-1967 admin slot. */
export async function proxyAdminOf(
  publicClient: PublicClient,
  proxy: Address,
  name: string,
): Promise<Address> {
  const word = await publicClient.getStorageAt({ address: proxy, slot: ADMIN_SLOT });
  if (word === undefined || BigInt(word) === 0n) {
    throw new DeployStepError(
      `reading the ProxyAdmin of the ${name} proxy`,
      "the ERC-1967 admin slot is empty",
    );
  }
  return getAddress(sliceHex(word, 12));
}

/** `ProxyAdmin.upgradeAndCall(proxy, implementation, data)`; `data` "0x" upgrades without a call. */
export function upgradeTx(
  name: string,
  proxyAdmin: Address,
  proxy: Address,
  implementation: Address,
  data: Hex,
): PlannedTx {
  const what = data === "0x" ? "upgrading" : "upgrading and initializing";
  return callTx(`${what} ${name} proxy`, proxyAdmin, proxyAdminAbi, "upgradeAndCall", [
    proxy,
    implementation,
    data,
  ]);
}

/** Hands a ProxyAdmin to its final owner. */
export function transferAdminTx(name: string, proxyAdmin: Address, owner: Address): PlannedTx {
  return callTx(
    `handing the ${name} ProxyAdmin to ${owner}`,
    proxyAdmin,
    proxyAdminAbi,
    "transferOwnership",
    [owner],
  );
}
