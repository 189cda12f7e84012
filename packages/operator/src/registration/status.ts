import {
  blsApkRegistryAbi,
  delegationManagerAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
} from "@avskit/bindings";
import {
  type BlsKeyPair,
  g1ToSolidity,
  g2ToSolidity,
  operatorIdFromPublicKey,
  type SolidityG1,
  type SolidityG2,
} from "@avskit/bls";
import type { ReadClient } from "@avskit/runtime";
import { type Address, type Hex, zeroHash } from "viem";
import type { AvsContracts } from "../chain/contracts.js";

export interface QuorumStatus {
  readonly quorumNumber: number;
  readonly registered: boolean;
  /** Stake the registry recorded (what task signatures are weighed with). */
  readonly stake: bigint;
  /** Weight from the current shares (becomes the stake at the next stake update). */
  readonly weight: bigint;
  readonly minimumStake: bigint;
}

export type AvsRegistrationStatus = "never-registered" | "registered" | "deregistered";

export interface OperatorStatusReport {
  readonly operator: Address;
  readonly chainId: number;
  readonly registryCoordinator: Address;
  /** Registered as an operator in the delegation (restaking) contract. */
  readonly delegationOperator: boolean;
  readonly avsStatus: AvsRegistrationStatus;
  readonly operatorId: Hex | undefined;
  readonly socket: string | undefined;
  /** Every quorum of the AVS, joined or not. */
  readonly quorums: readonly QuorumStatus[];
  /** The BLS public keys registered on-chain. */
  readonly registeredPubkeys: { G1: SolidityG1; G2: SolidityG2 } | undefined;
  /** The local BLS key, when one was given, and whether it is the registered one. */
  readonly localKey:
    | { operatorId: Hex; G1: SolidityG1; G2: SolidityG2; matchesChain: boolean | undefined }
    | undefined;
}

const STATUS: readonly AvsRegistrationStatus[] = ["never-registered", "registered", "deregistered"];

/** Reads the operator's registration, stake per quorum and keys. Read-only. */
export async function getOperatorStatus(options: {
  publicClient: ReadClient;
  contracts: AvsContracts;
  operator: Address;
  blsKeyPair?: BlsKeyPair | undefined;
}): Promise<OperatorStatusReport> {
  const { publicClient: client, contracts, operator } = options;
  const coordinator = { address: contracts.registryCoordinator, abi: registryCoordinatorAbi } as const;
  const stakes = { address: contracts.stakeRegistry, abi: stakeRegistryAbi } as const;
  const [info, quorumCount, delegationOperator] = await Promise.all([
    client.readContract({ ...coordinator, functionName: "getOperator", args: [operator] }),
    client.readContract({ ...coordinator, functionName: "quorumCount" }),
    client.readContract({
      address: contracts.delegationManager,
      abi: delegationManagerAbi,
      functionName: "isOperator",
      args: [operator],
    }),
  ]);
  const operatorId = info.operatorId === zeroHash ? undefined : info.operatorId;
  const bitmap = operatorId
    ? await client.readContract({
        ...coordinator,
        functionName: "getCurrentQuorumBitmap",
        args: [operatorId],
      })
    : 0n;
  const quorums = await Promise.all(
    Array.from({ length: quorumCount }, async (_, quorumNumber): Promise<QuorumStatus> => {
      const [stake, weight, minimumStake] = await Promise.all([
        operatorId
          ? client.readContract({
              ...stakes,
              functionName: "getCurrentStake",
              args: [operatorId, quorumNumber],
            })
          : 0n,
        client.readContract({
          ...stakes,
          functionName: "weightOfOperatorForQuorum",
          args: [quorumNumber, operator],
        }),
        client.readContract({ ...stakes, functionName: "minimumStakeForQuorum", args: [quorumNumber] }),
      ]);
      return {
        quorumNumber,
        registered: ((bitmap >> BigInt(quorumNumber)) & 1n) === 1n,
        stake,
        weight,
        minimumStake,
      };
    }),
  );

  let registeredPubkeys: OperatorStatusReport["registeredPubkeys"];
  let socket: string | undefined;
  if (operatorId) {
    const bls = { address: contracts.blsApkRegistry, abi: blsApkRegistryAbi } as const;
    const [[g1], g2, operatorSocket] = await Promise.all([
      client.readContract({ ...bls, functionName: "getRegisteredPubkey", args: [operator] }),
      client.readContract({ ...bls, functionName: "getOperatorPubkeyG2", args: [operator] }),
      client.readContract({ ...coordinator, functionName: "getOperatorSocket", args: [operatorId] }),
    ]);
    registeredPubkeys = {
      G1: { X: g1.X, Y: g1.Y },
      G2: { X: [g2.X[0], g2.X[1]], Y: [g2.Y[0], g2.Y[1]] },
    };
    socket = operatorSocket;
  }

  let localKey: OperatorStatusReport["localKey"];
  if (options.blsKeyPair) {
    const localId = operatorIdFromPublicKey(options.blsKeyPair.publicKeyG1);
    localKey = {
      operatorId: localId,
      G1: g1ToSolidity(options.blsKeyPair.publicKeyG1),
      G2: g2ToSolidity(options.blsKeyPair.publicKeyG2),
      matchesChain: operatorId === undefined ? undefined : operatorId.toLowerCase() === localId.toLowerCase(),
    };
  }

  return {
    operator,
    chainId: client.chain.id,
    registryCoordinator: contracts.registryCoordinator,
    delegationOperator,
    avsStatus: STATUS[info.status] ?? "never-registered",
    operatorId,
    socket,
    quorums,
    registeredPubkeys,
    localKey,
  };
}
