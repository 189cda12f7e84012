import { aggregateG1, type BlsKeyPair, generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  formatStaticNetwork,
  g1ToJson,
  type Network,
  parseStaticNetwork,
  staticMember,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { type DowntimeEvent, EVENT_TYPE, type Statement, signStatement } from "../src/index.js";

export interface TestMember {
  readonly bls: BlsKeyPair;
  readonly ecdsaKey: Hex;
  readonly operatorId: Hex;
}

/** A static network of fresh members with these stakes (URLs point nowhere: nothing is probed). */
export function testNetwork(stakes: readonly bigint[], thresholdPercent = 67) {
  const members: TestMember[] = stakes.map(() => {
    const bls = generateKeyPair();
    return {
      bls,
      ecdsaKey: generatePrivateKey(),
      operatorId: operatorIdFromPublicKey(bls.publicKeyG1) as Hex,
    };
  });
  const text = formatStaticNetwork({
    version: 1,
    members: members.map((m, i) =>
      staticMember(m.bls, privateKeyToAddress(m.ecdsaKey), stakes[i]!, `http://127.0.0.1:${1 + i}`),
    ),
  });
  return { text, network: parseStaticNetwork(text, { thresholdPercent }), members };
}

/**
 * An event signed by exactly `signers` (keys of members or not), listing `nonSigners` as such
 * (default: every member whose key is not among the signers): what a forger can build by hand.
 */
export function signedEvent(
  network: Network,
  statement: Statement,
  signers: readonly BlsKeyPair[],
  nonSigners?: readonly Hex[],
): DowntimeEvent {
  const ids = new Set(signers.map((k) => operatorIdFromPublicKey(k.publicKeyG1).toLowerCase()));
  return {
    type: EVENT_TYPE,
    ...statement,
    snapshotId: network.snapshotId,
    nonSigners: nonSigners ?? network.members.filter((m) => !ids.has(m.operatorId)).map((m) => m.operatorId),
    signature: g1ToJson(
      aggregateG1(signers.map((k) => signStatement(k.secretKey, network.snapshotId, statement))),
    ),
  };
}
