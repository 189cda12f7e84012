import { operatorStateRetrieverAbi, type taskManagerAbi } from "@avskit/bindings";
import {
  G1,
  type G1Point,
  G2,
  type G2Point,
  g1FromSolidity,
  g1ToSolidity,
  g2FromSolidity,
  g2ToSolidity,
  type HashToG1Hint,
  hashToG1Hint,
  NO_HASH_HINT,
  type SolidityG1,
  type SolidityG2,
  signDigest,
} from "@avskit/bls";
import { type Address, type ContractFunctionArgs, encodePacked, type Hex, keccak256 } from "viem";
import type { TestAvs } from "./avs.js";
import { InvalidHelperInputError } from "./errors.js";
import { quorumNumbersBytes } from "./operators.js";

/** The `NonSignerStakesAndSignature` struct checkSignatures and respondToTask take. */
export type NonSignerStakesAndSignature = ContractFunctionArgs<
  typeof taskManagerAbi,
  "nonpayable",
  "respondToTask"
>[2];

/** An operator of a quorum at a block, as the OperatorStateRetriever reports it. */
export interface OperatorAtBlock {
  readonly operator: Address;
  readonly operatorId: Hex;
  readonly pubkeyG1: SolidityG1;
  readonly pubkeyG2: SolidityG2;
  readonly stake: bigint;
}

/** Per quorum (in `quorums` order), its operators with keys and stakes at `blockNumber`. */
export async function operatorsAtBlock(
  avs: TestAvs,
  quorums: readonly number[],
  blockNumber: number,
): Promise<OperatorAtBlock[][]> {
  const state = await avs.client.readContract({
    address: avs.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getOperatorsWithPubkeys",
    args: [avs.deployment.contracts.registryCoordinator.proxy, quorumNumbersBytes(quorums), blockNumber],
  });
  return state.map((quorum) =>
    quorum.map((entry) => ({
      operator: entry.operator,
      operatorId: entry.operatorId.toLowerCase() as Hex,
      pubkeyG1: entry.pubkeyG1,
      pubkeyG2: {
        X: [entry.pubkeyG2.X[0], entry.pubkeyG2.X[1]],
        Y: [entry.pubkeyG2.Y[0], entry.pubkeyG2.Y[1]],
      },
      stake: entry.stake,
    })),
  );
}

export interface CheckInputRequest {
  /** The task's quorums, strictly ascending. */
  readonly quorums: readonly number[];
  /** The block whose operator sets and stakes count (a task's taskCreatedBlock). */
  readonly referenceBlock: number;
  /** What was signed (for a task: keccak256(abi.encode(TaskResponse))); used for the hint. */
  readonly msgHash: Hex;
  /** Individual signatures received, by operatorId (any case): sigma_i = sk_i·H(msgHash). */
  readonly signatures: ReadonlyMap<Hex, G1Point>;
  /** Attach the hashToG1 witness (default true): what an aggregator should do, it is cheaper. */
  readonly withHashHint?: boolean;
}

export interface QuorumStakeExpectation {
  readonly quorum: number;
  /** Σ stake of the signers in the quorum at the reference block. */
  readonly signed: bigint;
  /** Σ stake of every operator of the quorum at the reference block. */
  readonly total: bigint;
}

export interface CheckInput {
  readonly params: NonSignerStakesAndSignature;
  /** Ascending. */
  readonly nonSignerIds: readonly Hex[];
  readonly signerIds: readonly Hex[];
  /** What checkSignatures should return, computed off-chain from the operator state. */
  readonly expectedStakes: readonly QuorumStakeExpectation[];
  /** keccak256(abi.encodePacked(uint32 referenceBlock, bytes32[] nonSignerIds)). */
  readonly signatoryRecordHash: Hex;
}

/**
 * Parsed G2 keys by their Solidity encoding. Parsing checks subgroup membership (a G2 scalar
 * multiplication, milliseconds each), and an aggregator sees the same keys task after task.
 */
const g2Cache = new Map<string, G2Point>();
const G2_CACHE_LIMIT = 10_000;

function parseG2(point: SolidityG2): G2Point {
  const key = `${point.X[0]}:${point.X[1]}:${point.Y[0]}:${point.Y[1]}`;
  let parsed = g2Cache.get(key);
  if (parsed === undefined) {
    parsed = g2FromSolidity(point);
    if (g2Cache.size >= G2_CACHE_LIMIT) g2Cache.delete(g2Cache.keys().next().value!);
    g2Cache.set(key, parsed);
  }
  return parsed;
}

/** k·P for a small k (a multiplicity, at most the number of quorums) by repeated addition. */
function times<P extends { add(other: P): P }>(point: P, k: number): P {
  let sum = point;
  for (let i = 1; i < k; ++i) sum = sum.add(point);
  return sum;
}

/** Plain `{X, Y}` copies: viem's readonly tuples from reads are not the mutable ones its args want. */
function g1(point: G1Point): { X: bigint; Y: bigint } {
  const { X, Y } = g1ToSolidity(point);
  return { X, Y };
}

function g2(point: G2Point): { X: readonly [bigint, bigint]; Y: readonly [bigint, bigint] } {
  const { X, Y } = g2ToSolidity(point);
  return { X: [X[0], X[1]], Y: [Y[0], Y[1]] };
}

/**
 * Builds checkSignatures' input the way an aggregator does, from chain state at the reference
 * block: the task's operators (OperatorStateRetriever.getOperatorsWithPubkeys), each quorum's APK
 * as the sum of its operators' G1 keys, the non-signers sorted ascending by operatorId, and
 * multiplicity: an operator in k of the task's quorums counts k times, so
 * apkG2 = Σ k_i·pkG2_i and sigma = Σ k_i·sigma_i over the signers (the contract subtracts each
 * non-signer's key k times from the summed quorum APKs). History indices come from
 * OperatorStateRetriever.getCheckSignaturesIndices.
 */
export async function buildCheckInput(avs: TestAvs, request: CheckInputRequest): Promise<CheckInput> {
  const { quorums, referenceBlock, msgHash } = request;
  const quorumNumbers = quorumNumbersBytes(quorums);
  const state = await operatorsAtBlock(avs, quorums, referenceBlock);

  const multiplicity = new Map<Hex, number>();
  const pubkeyG2 = new Map<Hex, SolidityG2>();
  const quorumApks = state.map((operators) => {
    let apk = G1.ZERO;
    for (const op of operators) {
      apk = apk.add(g1FromSolidity(op.pubkeyG1));
      multiplicity.set(op.operatorId, (multiplicity.get(op.operatorId) ?? 0) + 1);
      pubkeyG2.set(op.operatorId, op.pubkeyG2);
    }
    return g1(apk);
  });

  const signatures = new Map<Hex, G1Point>();
  for (const [id, signature] of request.signatures) {
    const key = id.toLowerCase() as Hex;
    if (!multiplicity.has(key)) {
      throw new InvalidHelperInputError(
        `operator ${key} signed but is in none of quorums [${quorums.join(", ")}] at block ${referenceBlock}`,
      );
    }
    signatures.set(key, signature);
  }

  let sigma = G1.ZERO;
  let apkG2 = G2.ZERO;
  for (const [id, signature] of signatures) {
    const k = multiplicity.get(id)!;
    sigma = sigma.add(times(signature, k));
    const key = parseG2(pubkeyG2.get(id)!);
    apkG2 = apkG2.add(times(key, k));
  }

  const nonSignerIds = [...multiplicity.keys()]
    .filter((id) => !signatures.has(id))
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  const pubkeyG1 = new Map(state.flat().map((op) => [op.operatorId, op.pubkeyG1] as const));

  const indices = await avs.client.readContract({
    address: avs.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getCheckSignaturesIndices",
    args: [avs.deployment.contracts.registryCoordinator.proxy, referenceBlock, quorumNumbers, nonSignerIds],
  });

  const hint: HashToG1Hint = (request.withHashHint ?? true) ? hashToG1Hint(msgHash) : NO_HASH_HINT;
  const params: NonSignerStakesAndSignature = {
    nonSignerQuorumBitmapIndices: [...indices.nonSignerQuorumBitmapIndices],
    nonSignerPubkeys: nonSignerIds.map((id) => {
      const { X, Y } = pubkeyG1.get(id)!;
      return { X, Y };
    }),
    quorumApks,
    apkG2: g2(apkG2),
    sigma: g1(sigma),
    quorumApkIndices: [...indices.quorumApkIndices],
    totalStakeIndices: [...indices.totalStakeIndices],
    nonSignerStakeIndices: indices.nonSignerStakeIndices.map((perQuorum) => [...perQuorum]),
    hashHint: hint,
  };

  const expectedStakes = state.map((operators, q) => ({
    quorum: quorums[q]!,
    total: operators.reduce((sum, op) => sum + op.stake, 0n),
    signed: operators.filter((op) => signatures.has(op.operatorId)).reduce((sum, op) => sum + op.stake, 0n),
  }));
  return {
    params,
    nonSignerIds,
    signerIds: [...signatures.keys()],
    expectedStakes,
    signatoryRecordHash: keccak256(encodePacked(["uint32", "bytes32[]"], [referenceBlock, nonSignerIds])),
  };
}

/** Each operator's signature over `msgHash` (sigma_i = sk_i·hashToG1(msgHash)), by operatorId. */
export function signAll(
  operators: readonly { operatorId: Hex; bls: { secretKey: bigint } }[],
  msgHash: Hex,
): Map<Hex, G1Point> {
  return new Map(
    operators.map(
      (op) => [op.operatorId.toLowerCase() as Hex, signDigest(op.bls.secretKey, msgHash)] as const,
    ),
  );
}
