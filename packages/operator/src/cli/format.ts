import type { SolidityG1, SolidityG2 } from "@avskit/bls";
import type { BlsKeyInfo } from "../keys/bls-keys.js";
import type { EcdsaKeyInfo } from "../keys/ecdsa-keys.js";
import { isUnreadable, type KeyListEntry } from "../keys/list-keys.js";

export function formatG1(point: SolidityG1): string {
  return `X=${point.X} Y=${point.Y}`;
}

/** EIP-197 order, as the contracts take it: imaginary part first. */
export function formatG2(point: SolidityG2): string {
  return `X=[${point.X[0]}, ${point.X[1]}] Y=[${point.Y[0]}, ${point.Y[1]}]`;
}

function rows(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n");
}

export function formatKey(info: BlsKeyInfo | EcdsaKeyInfo): string {
  if (info.type === "ecdsa") {
    return rows([
      ["type", "ecdsa"],
      ["name", info.name],
      ["file", info.path],
      ["address", info.address ?? "(not declared in the file)"],
    ]);
  }
  const pairs: [string, string][] = [
    ["type", "bls"],
    ["name", info.name],
    ["file", info.path],
    ["operatorId", info.operatorId],
    ["pubkey G1", formatG1(info.publicKeyG1)],
  ];
  if (info.publicKeyG2) pairs.push(["pubkey G2", formatG2(info.publicKeyG2)]);
  return rows(pairs);
}

export function formatKeyList(entries: readonly KeyListEntry[], keysDir: string): string {
  if (entries.length === 0) return `no keys in ${keysDir}`;
  const lines = [`keys in ${keysDir}:`];
  for (const entry of entries) {
    if (isUnreadable(entry)) lines.push(`${entry.type.padEnd(5)}  ${entry.name}  UNREADABLE: ${entry.error}`);
    else if (entry.type === "ecdsa")
      lines.push(`ecdsa  ${entry.name}  address ${entry.address ?? "(undeclared)"}`);
    else
      lines.push(`bls    ${entry.name}  operatorId ${entry.operatorId}  G1 ${formatG1(entry.publicKeyG1)}`);
  }
  return lines.join("\n");
}
