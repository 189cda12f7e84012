// A task signed by N operators with k non-signers across both quorums, accepted on-chain, and
// every refusal of respondToTask / checkSignatures with its own custom error. Real BLS keys and
// signatures; the check input is built the way an aggregator builds it.
import {
  operatorStateRetrieverAbi,
  registryCoordinatorAbi,
  taskManagerAbi,
  withAllErrors,
} from "@avskit/bindings";
import {
  G1,
  type G1Point,
  G2,
  g1ToSolidity,
  g2ToSolidity,
  generateKeyPair,
  hashToG1Hint,
  NO_HASH_HINT,
  operatorIdFromPublicKey,
  signDigest,
} from "@avskit/bls";
import { type Address, encodeAbiParameters, type Hex, keccak256 } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answeredTaskRecord,
  buildCheckInput,
  type CheckInput,
  type CreatedTask,
  createTask,
  E18,
  type NonSignerStakesAndSignature,
  quorumNumbersBytes,
  registerOperators,
  respondToTask,
  signAll,
  startTestAvs,
  strategyOf,
  type Task,
  type TaskResponse,
  type TestAvs,
  type TestOperator,
  taskResponseDigest,
} from "../src/index.js";
import { expectRevert } from "./support.js";

const abi = withAllErrors(taskManagerAbi);
let avs: TestAvs;
let taskManager: Address;
let operators: TestOperator[];
let nonSigners: TestOperator[];
let signers: TestOperator[];

// Stakes in whole tokens: quorum 0 weighs stETH, quorum 1 EIGEN (both 1:1). Operator 2 has 3 of
// its quorum-0 stake delegated by a separate staker.
const LAYOUT: { quorums: number[]; q0?: bigint; q1?: bigint; delegatedQ0?: bigint }[] = [
  { quorums: [0, 1], q0: 10n, q1: 20n },
  { quorums: [0, 1], q0: 8n, q1: 15n }, // non-signer
  { quorums: [0, 1], q0: 6n, q1: 12n, delegatedQ0: 3n },
  { quorums: [0, 1], q0: 4n, q1: 30n },
  { quorums: [0, 1], q0: 3n, q1: 11n },
  { quorums: [0], q0: 7n }, // non-signer
  { quorums: [0], q0: 5n },
  { quorums: [1], q1: 13n }, // non-signer
];
const NON_SIGNERS = [1, 5, 7];
// Quorum 0: total 10+8+9+4+3+7+5 = 46, signed 46-8-7 = 31. Quorum 1: total 101, signed 101-15-13 = 73.
const Q0 = { signed: 31n * E18, total: 46n * E18 };
const Q1 = { signed: 73n * E18, total: 101n * E18 };

beforeAll(async () => {
  avs = await startTestAvs();
  taskManager = avs.deployment.contracts.taskManager.proxy;
  const stETH = strategyOf(avs.deployment, 0);
  const eigen = strategyOf(avs.deployment, 1, 0);
  operators = await registerOperators(
    avs,
    LAYOUT.map((entry) => ({
      quorums: entry.quorums,
      deposits: [
        ...(entry.q0 ? [{ strategy: stETH, amount: entry.q0 * E18 }] : []),
        ...(entry.q1 ? [{ strategy: eigen, amount: entry.q1 * E18 }] : []),
      ],
      ...(entry.delegatedQ0 ? { delegations: [[{ strategy: stETH, amount: entry.delegatedQ0 * E18 }]] } : {}),
    })),
  );
  nonSigners = NON_SIGNERS.map((i) => operators[i]!);
  signers = operators.filter((_, i) => !NON_SIGNERS.includes(i));
});

afterAll(async () => {
  await avs?.stop();
});

interface Prepared {
  created: CreatedTask;
  response: TaskResponse;
  msgHash: Hex;
  input: CheckInput;
}

/** Creates a task, has `who` sign the correct sum, and builds the aggregator's input. */
async function signedTask(
  quorums: number[],
  thresholdPercentage: number,
  who: readonly TestOperator[] = signers,
): Promise<Prepared> {
  const created = await createTask(avs, { a: 20n, b: 22n, thresholdPercentage, quorums });
  // eth_call runs in the context of the latest block: one more block puts the reference block
  // strictly in the past for the simulations below, as it is for any mined response.
  await avs.mine(1);
  const response: TaskResponse = { referenceTaskIndex: created.taskIndex, sum: 42n };
  const msgHash = taskResponseDigest(response);
  const signersInTask = who.filter((op) => op.quorums.some((q) => quorums.includes(q)));
  const input = await buildCheckInput(avs, {
    quorums,
    referenceBlock: created.task.taskCreatedBlock,
    msgHash,
    signatures: signAll(signersInTask, msgHash),
  });
  return { created, response, msgHash, input };
}

function simulateRespond(task: Task, response: TaskResponse, params: NonSignerStakesAndSignature) {
  return avs.client.simulateContract({
    account: avs.aggregator,
    address: taskManager,
    abi,
    functionName: "respondToTask",
    args: [task, response, params],
  });
}

function checkSignatures(
  msgHash: Hex,
  quorums: number[],
  referenceBlock: number,
  params: NonSignerStakesAndSignature,
) {
  return avs.client.readContract({
    address: taskManager,
    abi,
    functionName: "checkSignatures",
    args: [msgHash, quorumNumbersBytes(quorums), referenceBlock, params],
  });
}

const byId = (a: Hex, b: Hex) => (BigInt(a) < BigInt(b) ? -1 : 1);

describe("a task signed by 5 of 8 operators, 3 non-signers across both quorums", () => {
  let accepted: Prepared;

  it("is accepted: respondToTask succeeds and records the signatory hash", async () => {
    accepted = await signedTask([0, 1], 60);
    const { input, created, response } = accepted;
    expect(input.nonSignerIds).toEqual(nonSigners.map((op) => op.operatorId).sort(byId));
    expect(input.expectedStakes).toEqual([
      { quorum: 0, ...Q0 },
      { quorum: 1, ...Q1 },
    ]);

    const responded = await respondToTask(avs, created.task, response, input.params);
    expect(responded.hashOfNonSigners).toBe(input.signatoryRecordHash);
    expect(responded.taskRespondedBlock).toBe(Number(responded.receipt.blockNumber));
    const recorded = await avs.client.readContract({
      address: taskManager,
      abi,
      functionName: "taskRecord",
      args: [created.taskIndex],
    });
    expect(recorded).toBe(answeredTaskRecord(created.task, response, responded));
    expect(
      await avs.client.readContract({
        address: taskManager,
        abi,
        functionName: "taskResponded",
        args: [created.taskIndex],
      }),
    ).toBe(true);
  });

  it("checkSignatures reports signed and total stake per quorum at the reference block", async () => {
    const { msgHash, created, input } = accepted;
    const [totals, recordHash] = await checkSignatures(
      msgHash,
      [0, 1],
      created.task.taskCreatedBlock,
      input.params,
    );
    expect(totals.signedStakeForQuorum).toEqual([Q0.signed, Q1.signed]);
    expect(totals.totalStakeForQuorum).toEqual([Q0.total, Q1.total]);
    expect(recordHash).toBe(input.signatoryRecordHash);
  });

  it("the off-chain input equals the OperatorStateRetriever's on-chain builder", async () => {
    const { msgHash, created, input } = accepted;
    const onChain = await avs.client.readContract({
      address: avs.operatorStateRetriever,
      abi: operatorStateRetrieverAbi,
      functionName: "getNonSignerStakesAndSignature",
      args: [
        avs.deployment.contracts.registryCoordinator.proxy,
        quorumNumbersBytes([0, 1]),
        input.params.sigma,
        [...input.signerIds],
        created.task.taskCreatedBlock,
        msgHash,
      ],
    });
    expect(onChain).toEqual(input.params);
  });

  it("an operator in k of the task's quorums counts k times: without multiplicity the check fails", async () => {
    const { msgHash, created, input } = accepted;
    const signatures = signAll(signers, msgHash);
    const naiveSigma = [...signatures.values()].reduce((sum, s) => sum.add(s), G1.ZERO);
    const naiveApkG2 = signers.reduce((sum, op) => sum.add(op.bls.publicKeyG2), G2.ZERO);
    const params = { ...input.params, sigma: g1ToSolidity(naiveSigma), apkG2: g2ToSolidity(naiveApkG2) };
    await expectRevert(
      checkSignatures(msgHash, [0, 1], created.task.taskCreatedBlock, params),
      "InvalidSignature",
    );
  });

  it("accepts the same input without the hashToG1 hint, and refuses a wrong hint", async () => {
    const { msgHash, created, input } = accepted;
    const [totals] = await checkSignatures(msgHash, [0, 1], created.task.taskCreatedBlock, {
      ...input.params,
      hashHint: NO_HASH_HINT,
    });
    expect(totals.signedStakeForQuorum).toEqual([Q0.signed, Q1.signed]);
    const hint = input.params.hashHint;
    await expectRevert(
      checkSignatures(msgHash, [0, 1], created.task.taskCreatedBlock, {
        ...input.params,
        hashHint: { ...hint, yRoot: hint.yRoot + 1n },
      }),
      "InvalidHashHint",
    );
  });

  it("the off-chain hashToG1 hint equals the contract's for many digests", async () => {
    const digests = Array.from({ length: 12 }, (_, i) => keccak256(`0x${i.toString(16).padStart(2, "0")}`));
    const onChain = await Promise.all(
      digests.map((digest) =>
        avs.client.readContract({
          address: avs.operatorStateRetriever,
          abi: operatorStateRetrieverAbi,
          functionName: "getHashToG1Hint",
          args: [digest],
        }),
      ),
    );
    onChain.forEach((hint, i) => {
      expect({ ...hint, nonResidueRoots: [...hint.nonResidueRoots] }).toEqual(hashToG1Hint(digests[i]!));
    });
    // Some digests need more than one try: the loop over skipped x values is exercised.
    expect(onChain.some((hint) => hint.nonResidueRoots.length > 0)).toBe(true);
  });

  it("a single-quorum task needs only that quorum's signers", async () => {
    const { created, response, input } = await signedTask([1], 70);
    expect(input.expectedStakes).toEqual([{ quorum: 1, ...Q1 }]);
    const responded = await respondToTask(avs, created.task, response, input.params);
    expect(responded.hashOfNonSigners).toBe(input.signatoryRecordHash);
  });

  describe("refusals, each with its own custom error", () => {
    it("duplicate response", async () => {
      const { created, response, input } = accepted;
      const [index] = await expectRevert(
        simulateRespond(created.task, response, input.params),
        "TaskAlreadyResponded",
      );
      expect(index).toBe(created.taskIndex);
    });

    it("wrong task hash", async () => {
      const { created, response, input } = await signedTask([0, 1], 60);
      await expectRevert(
        simulateRespond({ ...created.task, a: created.task.a + 1n }, response, input.params),
        "WrongTaskHash",
      );
    });

    it("bad signature: the signers signed a different sum", async () => {
      const { created, response, input } = await signedTask([0, 1], 60);
      const wrongDigest = taskResponseDigest({ ...response, sum: 43n });
      const wrong = await buildCheckInput(avs, {
        quorums: [0, 1],
        referenceBlock: created.task.taskCreatedBlock,
        msgHash: taskResponseDigest(response),
        signatures: signAll(signers, wrongDigest),
      });
      expect(wrong.params.apkG2).toEqual(input.params.apkG2);
      await expectRevert(simulateRespond(created.task, response, wrong.params), "InvalidSignature");
    });

    it("bad signature: one signer's share replaced by an outsider's", async () => {
      const { created, response, msgHash, input } = await signedTask([0, 1], 60);
      const outsider = generateKeyPair();
      const signatures = signAll(signers, msgHash);
      signatures.set(signers[0]!.operatorId.toLowerCase() as Hex, signDigest(outsider.secretKey, msgHash));
      const tampered = await buildCheckInput(avs, {
        quorums: [0, 1],
        referenceBlock: created.task.taskCreatedBlock,
        msgHash,
        signatures,
      });
      expect(tampered.nonSignerIds).toEqual(input.nonSignerIds);
      await expectRevert(simulateRespond(created.task, response, tampered.params), "InvalidSignature");
    });

    it("stake below the threshold", async () => {
      const { created, response, input } = await signedTask([0, 1], 100);
      const [quorum, signed, total] = await expectRevert(
        simulateRespond(created.task, response, input.params),
        "InsufficientStake",
      );
      expect([quorum, signed, total]).toEqual([0, Q0.signed, Q0.total]);
      // 31/46 = 67.4% of quorum 0 passes 67 and fails 68 (no integer truncation in the check).
      const at67 = await signedTask([0, 1], 67);
      await simulateRespond(at67.created.task, at67.response, at67.input.params);
      const at68 = await signedTask([0, 1], 68);
      await expectRevert(
        simulateRespond(at68.created.task, at68.response, at68.input.params),
        "InsufficientStake",
      );
    });

    it("late response", async () => {
      const { created, response, input } = await signedTask([0, 1], 60);
      const window = await avs.client.readContract({
        address: taskManager,
        abi,
        functionName: "TASK_RESPONSE_WINDOW_BLOCK",
      });
      await avs.mine(window + 2);
      const [index, deadline] = await expectRevert(
        simulateRespond(created.task, response, input.params),
        "ResponseTooLate",
      );
      expect([index, deadline]).toEqual([created.taskIndex, created.task.taskCreatedBlock + window]);
    });

    it("future reference block", async () => {
      const { msgHash, input } = accepted;
      const future = (await avs.blockNumber()) + 5;
      const [reference] = await expectRevert(
        checkSignatures(msgHash, [0, 1], future, input.params),
        "ReferenceBlockNotInPast",
      );
      expect(reference).toBe(future);
    });

    it("unsorted non-signers", async () => {
      const { created, response, input } = await signedTask([0, 1], 60);
      const p = input.params;
      const swapped: NonSignerStakesAndSignature = {
        ...p,
        nonSignerPubkeys: [p.nonSignerPubkeys[1]!, p.nonSignerPubkeys[0]!, ...p.nonSignerPubkeys.slice(2)],
        nonSignerQuorumBitmapIndices: [
          p.nonSignerQuorumBitmapIndices[1]!,
          p.nonSignerQuorumBitmapIndices[0]!,
          ...p.nonSignerQuorumBitmapIndices.slice(2),
        ],
      };
      const [position] = await expectRevert(
        simulateRespond(created.task, response, swapped),
        "NonSignersNotSorted",
      );
      expect(position).toBe(1n);
    });

    it("a non-signer that was no longer registered at the reference block", async () => {
      const [leaver] = await registerOperators(avs, [
        { quorums: [0], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: 2n * E18 }] },
      ]);
      const leave = await avs.sender.sendLabelled("deregister", leaver!.account, {
        to: avs.deployment.contracts.registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "deregisterOperator",
        args: ["0x00"],
        gas: 1_000_000n,
      });
      await avs.sender.confirm([leave]);
      const { created, response, input } = await signedTask([0], 60);
      const bitmapIndex = Number(
        (await avs.client.readContract({
          address: avs.deployment.contracts.registryCoordinator.proxy,
          abi: registryCoordinatorAbi,
          functionName: "getQuorumBitmapHistoryLength",
          args: [leaver!.operatorId],
        })) - 1n,
      );
      const p = withExtraNonSigner(input.params, leaver!, bitmapIndex);
      const [operatorId] = await expectRevert(
        simulateRespond(created.task, response, p),
        "NonSignerNotInQuorums",
      );
      expect(operatorId).toBe(leaver!.operatorId);
    });

    it("a non-signer key that was never registered", async () => {
      const { created, response, input } = await signedTask([0], 60);
      const stranger = generateKeyPair();
      const strangerOp = { bls: stranger, operatorId: operatorIdFromPublicKey(stranger.publicKeyG1) };
      const p = withExtraNonSigner(input.params, strangerOp, 0);
      await expectRevert(simulateRespond(created.task, response, p), "HistoryEntryMissing");
    });

    it("a quorum APK that is not the recorded one", async () => {
      const { created, response, input } = await signedTask([0, 1], 60);
      const apks = input.params.quorumApks;
      const wrongApk = g1ToSolidity(G1.BASE.add(G1.BASE));
      const [quorum] = await expectRevert(
        simulateRespond(created.task, response, { ...input.params, quorumApks: [apks[0]!, wrongApk] }),
        "InvalidQuorumApk",
      );
      expect(quorum).toBe(1);
    });

    it("a caller without the aggregator role", async () => {
      const { created, response, input } = accepted;
      await expectRevert(
        avs.client.simulateContract({
          account: avs.taskGenerator,
          address: taskManager,
          abi,
          functionName: "respondToTask",
          args: [created.task, response, input.params],
        }),
        "AccessControlUnauthorizedAccount",
      );
    });
  });
});

/**
 * Adds an operator to the non-signers in its sorted place, with the given bitmap index and no
 * stake index (it is in none of the task's quorums, which is what the contract must notice).
 */
function withExtraNonSigner(
  params: NonSignerStakesAndSignature,
  extra: { bls: { publicKeyG1: G1Point }; operatorId: Hex },
  bitmapIndex: number,
): NonSignerStakesAndSignature {
  const ids = params.nonSignerPubkeys.map((pk) =>
    keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [pk.X, pk.Y])),
  );
  const at = ids.filter((id) => BigInt(id) < BigInt(extra.operatorId)).length;
  const insert = <T>(list: readonly T[], item: T) => [...list.slice(0, at), item, ...list.slice(at)];
  return {
    ...params,
    nonSignerPubkeys: insert(params.nonSignerPubkeys, g1ToSolidity(extra.bls.publicKeyG1)),
    nonSignerQuorumBitmapIndices: insert(params.nonSignerQuorumBitmapIndices, bitmapIndex),
  };
}
