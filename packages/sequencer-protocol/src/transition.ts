import type { Hex } from "viem";
import type { Certificate } from "./certificate.js";
import { type Network, snapshotIdOf } from "./network.js";
import { justifyNewView, type NetworkLookup } from "./statements.js";
import { parseStaticNetwork } from "./static-network.js";
import type { NetworkDescriptor, NewView } from "./wire.js";

/**
 * Operator-set changes (PROTOCOL.md "Operator-set changes"). A term runs on one snapshot; the
 * votes that end it are counted against that snapshot, and when voters with quorum stake name the
 * same new snapshot id the next term runs on it. So a client or node that trusts one snapshot can
 * follow every later one: each step is a new view whose votes it can check with the set it
 * already trusts, and whose descriptor proves the new set (a file by its hash, a chain snapshot
 * by the registries).
 */

export type TransitionCheck =
  | { ok: true; base: Record<string, Certificate | null>; next: Network | undefined }
  | { ok: false; reason: string };

/** Resolves a chain descriptor (the registries at its reference block); static ones resolve alone. */
export type ChainNetworkLoader = (
  snapshot: Extract<NetworkDescriptor["snapshot"], { kind: "chain" }>,
) => Promise<Network>;

/**
 * The network a descriptor gives, checked to have snapshot id `expected`. A static descriptor is
 * parsed from its text (proofs of possession checked); a chain one needs `loadChain`.
 */
export async function networkOfDescriptor(
  descriptor: NetworkDescriptor,
  expected: Hex,
  options: { thresholdPercent?: number; loadChain?: ChainNetworkLoader } = {},
): Promise<Network> {
  if (snapshotIdOf(descriptor.snapshot) !== expected.toLowerCase())
    throw new Error(`the descriptor's snapshot is not ${expected}`);
  let network: Network;
  if (descriptor.snapshot.kind === "static") {
    if (descriptor.text === undefined) throw new Error("a static descriptor carries the network file's text");
    network = parseStaticNetwork(
      descriptor.text,
      options.thresholdPercent === undefined ? {} : { thresholdPercent: options.thresholdPercent },
    );
  } else {
    if (options.loadChain === undefined) throw new Error("a chain snapshot needs a chain to read it from");
    network = await options.loadChain(descriptor.snapshot);
  }
  if (network.snapshotId !== expected.toLowerCase())
    throw new Error(`the descriptor gives snapshot ${network.snapshotId}, not ${expected}`);
  return network;
}

/**
 * Checks a new view against the network of the term it ends (`previous`) and, when its votes
 * move to a new operator set, resolves that set from the view's descriptor. A view whose votes
 * name no quorum's new set must carry no descriptor, and one whose votes do must carry it.
 */
export async function checkTransition(
  previous: Network,
  nv: NewView,
  networks: NetworkLookup,
  options: { thresholdPercent?: number; loadChain?: ChainNetworkLoader } = {},
): Promise<TransitionCheck> {
  const justified = justifyNewView(previous, nv.term, nv.votes, networks);
  if (!justified.ok) return justified;
  if (justified.next === null) {
    if (nv.next !== undefined)
      return { ok: false, reason: "a descriptor of a new network no quorum voted for" };
    return { ok: true, base: justified.base, next: undefined };
  }
  if (nv.next === undefined)
    return {
      ok: false,
      reason: `the votes move to snapshot ${justified.next} but the view does not describe it`,
    };
  try {
    return {
      ok: true,
      base: justified.base,
      next: await networkOfDescriptor(nv.next, justified.next, options),
    };
  } catch (error) {
    return { ok: false, reason: `the next network: ${(error as Error).message}` };
  }
}
