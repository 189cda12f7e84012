import { type BlsKeyPair, keyPairFromSecretKey, operatorIdFromPublicKey } from "@avskit/bls";
import type { Address, Hex } from "viem";
import { addressOfPrivateKey } from "../src/ecdsa.js";
import { createNetwork, type Member, type Network } from "../src/network.js";

export interface TestMember {
  readonly bls: BlsKeyPair;
  readonly privateKey: Hex;
  readonly address: Address;
  readonly operatorId: Hex;
  readonly stake: bigint;
}

/** Deterministic keys: BLS secret 1000+i·7919, ECDSA key 0x…(i+1), so runs are reproducible. */
export function testMember(i: number, stake: bigint): TestMember {
  const bls = keyPairFromSecretKey(1000n + BigInt(i) * 7919n);
  const privateKey = `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex;
  return {
    bls,
    privateKey,
    address: addressOfPrivateKey(privateKey),
    operatorId: operatorIdFromPublicKey(bls.publicKeyG1),
    stake,
  };
}

export function asMember(m: TestMember, i: number): Member {
  return {
    operatorId: m.operatorId,
    address: m.address,
    pubkeyG1: m.bls.publicKeyG1,
    pubkeyG2: m.bls.publicKeyG2,
    stake: m.stake,
    url: `http://127.0.0.1:${9100 + i}`,
  };
}

/** Four members with stakes 40/20/20/20 (the big one first), θ = 67. */
export const MEMBERS: readonly TestMember[] = [40n, 20n, 20n, 20n].map((stake, i) => testMember(i, stake));

export const FILE_HASH: Hex = `0x${"ab".repeat(32)}`;

export const NETWORK: Network = createNetwork({ kind: "static", fileHash: FILE_HASH }, MEMBERS.map(asMember));

export function byId(id: Hex): TestMember {
  const m = MEMBERS.find((x) => x.operatorId === id);
  if (m === undefined) throw new Error(`no test member ${id}`);
  return m;
}

export const BIG = MEMBERS[0]!;
export const SMALL = MEMBERS.slice(1);
