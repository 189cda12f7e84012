import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type Deployment,
  deploymentPath,
  InvalidDeploymentError,
  PROXIED_CONTRACTS,
  parseDeployment,
  serializeDeployment,
} from "@avskit/bindings";
import type { Address, PublicClient } from "viem";

/** What the deployments folder says about a chain, checked against the chain itself. */
export type ExistingDeployment =
  | { status: "none"; path: string }
  /** Every recorded contract has code, and the recorded block is still in the chain. */
  | { status: "live"; path: string; deployment: Deployment }
  /** The file describes contracts this chain no longer has (e.g. a restarted anvil). */
  | { status: "stale"; path: string; reason: string }
  | { status: "invalid"; path: string; error: InvalidDeploymentError };

/** Every address a deployment records. */
export function recordedAddresses(deployment: Deployment): Address[] {
  const addresses = new Set<Address>([
    deployment.restaking.delegationManager,
    deployment.restaking.avsDirectory,
    ...(deployment.restaking.strategyManager ? [deployment.restaking.strategyManager] : []),
  ]);
  for (const name of PROXIED_CONTRACTS) {
    const contract = deployment.contracts[name];
    addresses.add(contract.proxy);
    addresses.add(contract.implementation);
    addresses.add(contract.proxyAdmin);
  }
  addresses.add(deployment.contracts.operatorStateRetriever);
  for (const quorum of deployment.quorums) {
    for (const { strategy, token } of quorum.strategies) {
      addresses.add(strategy);
      addresses.add(token);
    }
  }
  return [...addresses];
}

/** Reads `<dir>/<chainId>.json` and checks that what it records still exists on the chain. */
export async function inspectExistingDeployment(
  publicClient: PublicClient,
  chainId: number,
  dir: string,
): Promise<ExistingDeployment> {
  const path = deploymentPath(chainId, dir);
  if (!existsSync(path)) return { status: "none", path };
  let deployment: Deployment;
  try {
    const text = await readFile(path, "utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidDeploymentError(path, [
        { path: "(root)", message: `not JSON: ${(error as Error).message}` },
      ]);
    }
    deployment = parseDeployment(json, path);
  } catch (error) {
    if (error instanceof InvalidDeploymentError) return { status: "invalid", path, error };
    throw error;
  }
  if (deployment.chainId !== chainId) {
    return { status: "stale", path, reason: `the file is for chain ${deployment.chainId}` };
  }

  const addresses = recordedAddresses(deployment);
  const codes = await Promise.all(addresses.map((address) => publicClient.getCode({ address })));
  const missing = addresses.filter((_, i) => codes[i] === undefined || codes[i] === "0x");
  if (missing.length > 0) {
    return {
      status: "stale",
      path,
      reason: `${missing.length} of ${addresses.length} recorded contracts have no code on this chain (e.g. ${missing[0]})`,
    };
  }
  const block = await publicClient
    .getBlock({ blockNumber: BigInt(deployment.deployedAt.blockNumber) })
    .catch(() => undefined);
  if (
    block !== undefined &&
    block.hash !== null &&
    block.hash.toLowerCase() !== deployment.deployedAt.blockHash
  ) {
    return {
      status: "stale",
      path,
      reason: `block ${deployment.deployedAt.blockNumber} has another hash than recorded: the chain was reset`,
    };
  }
  return { status: "live", path, deployment };
}

/** Writes `<dir>/<chainId>.json` atomically (temp file, then rename); returns the path. */
export async function writeDeployment(deployment: Deployment, dir: string): Promise<string> {
  const path = deploymentPath(deployment.chainId, dir);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, serializeDeployment(deployment));
  await rename(temp, path);
  return path;
}
