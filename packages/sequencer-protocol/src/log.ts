import { concat, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isAppName(name: string): boolean {
  return APP_NAME.test(name);
}

export const GENESIS_TAG: Hex = keccak256(toBytes("avskit.sequencer.genesis.v1"));

/** h_0 of an app: depends on the app's name, so two apps never share a chain. */
export function genesisHash(app: string): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [GENESIS_TAG, keccak256(toBytes(app))]),
  );
}

/** keccak256(id ‖ body). */
export function entryHash(id: Uint8Array, body: Uint8Array): Uint8Array {
  return keccak256(concat([id, body]), "bytes");
}

/** h_n = keccak256(h_{n−1} ‖ entryHash_n). */
export function nextChainHash(prev: Hex, id: Uint8Array, body: Uint8Array): Hex {
  return keccak256(concat([toBytes(prev), entryHash(id, body)]));
}

/** The chaining hash after `entries`, starting from `from` (default: the app's genesis hash). */
export function chainHashOf(
  app: string,
  entries: Iterable<{ id: Uint8Array; body: Uint8Array }>,
  from?: Hex,
): Hex {
  let hash = from ?? genesisHash(app);
  for (const { id, body } of entries) hash = nextChainHash(hash, id, body);
  return hash;
}
