import {
  type BlsKeyPair,
  G1,
  type G1Point,
  G2,
  type G2Point,
  g1ToSolidity,
  g2ToSolidity,
  operatorIdFromPublicKey,
  signDigest,
  verifySignature,
} from "@avskit/bls";
import { bn254 } from "@noble/curves/bn254.js";
import { type Address, encodeAbiParameters, getAddress, type Hex, isAddress, keccak256, toBytes } from "viem";
import { z } from "zod";
import { NetworkError, NetworkFileError } from "./errors.js";
import { createNetwork, type Member, type Network } from "./network.js";
import {
  type G1Json,
  type G2Json,
  g1FromJson,
  g1Json,
  g1ToJson,
  g2FromJson,
  g2Json,
  g2ToJson,
} from "./points.js";

export interface StaticMemberJson {
  address: Address;
  /** Decimal. */
  stake: string;
  url: string;
  pubkeyG1: G1Json;
  pubkeyG2: G2Json;
  /** BLS signature over popDigest(address, pubkeyG1, pubkeyG2): the member holds the key. */
  proofOfPossession: G1Json;
}

export interface StaticNetworkFileJson {
  version: 1;
  thresholdPercent?: number;
  members: StaticMemberJson[];
}

export const POP_TAG: Hex = keccak256(toBytes("avskit.sequencer.pop.v1"));

/**
 * keccak256(abi.encode(POP_TAG, address, pkG1.X, pkG1.Y, pkG2.X, pkG2.Y)) (G2 in the contracts'
 * order): binding the address stops a member from claiming another's key.
 */
export function popDigest(address: Address, pubkeyG1: G1Point, pubkeyG2: G2Point): Hex {
  const g1 = g1ToSolidity(pubkeyG1);
  const g2 = g2ToSolidity(pubkeyG2);
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "uint256" },
        { type: "uint256" },
        { type: "uint256[2]" },
        { type: "uint256[2]" },
      ],
      [POP_TAG, address, g1.X, g1.Y, [g2.X[0], g2.X[1]], [g2.Y[0], g2.Y[1]]],
    ),
  );
}

/** One member's entry for a static network file, with its proof of possession. */
export function staticMember(
  keyPair: BlsKeyPair,
  address: Address,
  stake: bigint,
  url: string,
): StaticMemberJson {
  if (!isAddress(address, { strict: false })) throw new NetworkError(`bad address ${address}`);
  const checksummed = getAddress(address);
  const pop = signDigest(keyPair.secretKey, popDigest(checksummed, keyPair.publicKeyG1, keyPair.publicKeyG2));
  return {
    address: checksummed,
    stake: stake.toString(),
    url,
    pubkeyG1: g1ToJson(keyPair.publicKeyG1),
    pubkeyG2: g2ToJson(keyPair.publicKeyG2),
    proofOfPossession: g1ToJson(pop),
  };
}

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}, "expected an http(s) URL");

const memberSchema = z.strictObject({
  address: z.string().refine((value) => isAddress(value, { strict: false }), "expected an address"),
  stake: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal stake"),
  url: httpUrl,
  pubkeyG1: g1Json,
  pubkeyG2: g2Json,
  proofOfPossession: g1Json,
});

const fileSchema = z.strictObject({
  version: z.literal(1),
  thresholdPercent: z.number().int().min(1).max(100).optional(),
  members: z.array(memberSchema).min(1),
});

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

/** e(pkG1, G2) = e(G1, pkG2): both keys carry the same secret. */
function sameKey(pubkeyG1: G1Point, pubkeyG2: G2Point): boolean {
  const product = bn254.pairingBatch([
    { g1: pubkeyG1, g2: G2.BASE },
    { g1: G1.BASE.negate(), g2: pubkeyG2 },
  ]);
  return bn254.fields.Fp12.eql(product, bn254.fields.Fp12.ONE);
}

/**
 * Parses a static network file. Every member's proof of possession is checked against its G2 key
 * and its G1 key against its G2 key, so the file cannot carry a key its member does not hold (a
 * rogue key would let it forge aggregates). The snapshot is {kind: "static", fileHash:
 * keccak256(text)}: every node must load the byte-identical file. Throws NetworkFileError naming
 * the member index and field.
 */
export function parseStaticNetwork(text: string, options: { thresholdPercent?: number } = {}): Network {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new NetworkFileError("", `not JSON: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const memberIndex =
      issue.path[0] === "members" && typeof issue.path[1] === "number" ? issue.path[1] : undefined;
    throw new NetworkFileError(pathOf(issue.path), issue.message, memberIndex);
  }
  const members: Member[] = parsed.data.members.map((entry, i) => {
    const at = (field: string) => `members[${i}].${field}`;
    let pubkeyG1: G1Point;
    let pubkeyG2: G2Point;
    let pop: G1Point;
    try {
      pubkeyG1 = g1FromJson(entry.pubkeyG1);
    } catch (error) {
      throw new NetworkFileError(at("pubkeyG1"), (error as Error).message, i);
    }
    try {
      pubkeyG2 = g2FromJson(entry.pubkeyG2 as G2Json);
    } catch (error) {
      throw new NetworkFileError(at("pubkeyG2"), (error as Error).message, i);
    }
    try {
      pop = g1FromJson(entry.proofOfPossession);
    } catch (error) {
      throw new NetworkFileError(at("proofOfPossession"), (error as Error).message, i);
    }
    const address = getAddress(entry.address);
    if (!sameKey(pubkeyG1, pubkeyG2)) {
      throw new NetworkFileError(at("pubkeyG2"), "the G1 and G2 keys are not of the same secret", i);
    }
    if (!verifySignature(pubkeyG2, popDigest(address, pubkeyG1, pubkeyG2), pop)) {
      throw new NetworkFileError(
        at("proofOfPossession"),
        `not a signature of ${address}'s keys by their secret`,
        i,
      );
    }
    return {
      operatorId: operatorIdFromPublicKey(pubkeyG1),
      address,
      pubkeyG1,
      pubkeyG2,
      stake: BigInt(entry.stake),
      url: entry.url,
    };
  });
  const threshold = options.thresholdPercent ?? parsed.data.thresholdPercent;
  try {
    return createNetwork({ kind: "static", fileHash: keccak256(toBytes(text)) }, members, threshold);
  } catch (error) {
    if (error instanceof NetworkError) throw new NetworkFileError("members", error.message);
    throw error;
  }
}

/** A static network file's text for these members (what parseStaticNetwork reads). */
export function formatStaticNetwork(file: StaticNetworkFileJson): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
