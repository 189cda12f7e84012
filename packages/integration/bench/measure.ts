// One measurement each: the signature check alone (gas meter, eth_call), respondToTask (a mined
// transaction), and the whole-quorum stake update (a mined transaction).
import { registryCoordinatorAbi, taskManagerAbi } from "@avskit/bindings";
import { hashToG1Tries, NO_HASH_HINT } from "@avskit/bls";
import { type Address, encodeFunctionData, type Hex } from "viem";
import {
  buildCheckInput,
  calldataGas,
  createTask,
  depositStake,
  E18,
  measureCallGas,
  type NonSignerStakesAndSignature,
  quorumNumbersBytes,
  respondToTask,
  signAll,
  sortedAddresses,
  type TestAvs,
  type TestOperator,
  taskResponseDigest,
} from "../src/index.js";

export interface CheckSample {
  /** x values hashToG1 tried for this message (1 = the first worked). */
  tries: number;
  /** checkSignatures on the TaskManager implementation (no proxy hop), with the hashToG1 hint. */
  checkHint: bigint;
  /** The same, without the hint (the checker runs hashToG1's modexp per try). */
  checkNoHint: bigint;
  /** checkSignatures through the TaskManager proxy, with the hint. */
  checkProxyHint: bigint;
  /** respondToTask's gasUsed (whole transaction: 21,000 + calldata + execution), with the hint. */
  respond: bigint;
  /** respondToTask's gasUsed minus the intrinsic 21,000 and the calldata gas. */
  respondExecution: bigint;
  /** The check input, for the gas breakdown. */
  msgHash: Hex;
  referenceBlock: number;
  params: NonSignerStakesAndSignature;
}

export function checkCalldata(
  msgHash: Hex,
  quorums: readonly number[],
  referenceBlock: number,
  params: NonSignerStakesAndSignature,
): Hex {
  return encodeFunctionData({
    abi: taskManagerAbi,
    functionName: "checkSignatures",
    args: [msgHash, quorumNumbersBytes(quorums), referenceBlock, params],
  });
}

/**
 * Operand `a` (b = 1) whose response digest, for the task about to get index `taskIndex`, makes
 * hashToG1 take exactly `tries` tries: the samples then cover the tries the way random messages
 * do (half need 1, a quarter 2, ...), instead of whatever a handful of task indices happen to give.
 */
function operandForTries(taskIndex: number, tries: number): bigint {
  for (let a = 1n; ; ++a) {
    if (hashToG1Tries(taskResponseDigest({ referenceTaskIndex: taskIndex, sum: a + 1n })) === tries) return a;
  }
}

/**
 * A task on `quorums` that everyone but `nonSigners` signs (real BLS signatures), its response
 * digest needing `tries` hashToG1 tries; measures the check three ways, then responds on-chain.
 */
export async function measureTask(
  avs: TestAvs,
  operators: readonly TestOperator[],
  quorums: readonly number[],
  nonSigners: ReadonlySet<Hex>,
  tries: number,
): Promise<CheckSample> {
  const taskIndex = await avs.client.readContract({
    address: avs.deployment.contracts.taskManager.proxy,
    abi: taskManagerAbi,
    functionName: "latestTaskNum",
  });
  const a = operandForTries(taskIndex, tries);
  const created = await createTask(avs, { a, b: 1n, thresholdPercentage: 50, quorums });
  if (created.taskIndex !== taskIndex) {
    throw new Error(`expected task index ${taskIndex}, got ${created.taskIndex} (another task generator?)`);
  }
  await avs.mine(1);
  const response = { referenceTaskIndex: created.taskIndex, sum: created.task.a + created.task.b };
  const msgHash = taskResponseDigest(response);
  const signers = operators.filter((op) => !nonSigners.has(op.operatorId));
  const input = await buildCheckInput(avs, {
    quorums,
    referenceBlock: created.task.taskCreatedBlock,
    msgHash,
    signatures: signAll(signers, msgHash),
  });
  if (input.nonSignerIds.length !== nonSigners.size) {
    throw new Error(`expected ${nonSigners.size} non-signers, the input has ${input.nonSignerIds.length}`);
  }
  const ref = created.task.taskCreatedBlock;
  const implementation = avs.deployment.contracts.taskManager.implementation;
  const proxy = avs.deployment.contracts.taskManager.proxy;
  const [checkHint, checkNoHint, checkProxyHint] = await Promise.all([
    measureCallGas(avs, implementation, checkCalldata(msgHash, quorums, ref, input.params)),
    measureCallGas(
      avs,
      implementation,
      checkCalldata(msgHash, quorums, ref, { ...input.params, hashHint: NO_HASH_HINT }),
    ),
    measureCallGas(avs, proxy, checkCalldata(msgHash, quorums, ref, input.params)),
  ]);
  const responded = await respondToTask(avs, created.task, response, input.params, 20_000_000n);
  const tx = await avs.client.getTransaction({ hash: responded.receipt.transactionHash });
  const respond = responded.receipt.gasUsed;
  return {
    tries: hashToG1Tries(msgHash),
    checkHint,
    checkNoHint,
    checkProxyHint,
    respond,
    respondExecution: respond - 21_000n - calldataGas(tx.input),
    msgHash,
    referenceBlock: ref,
    params: input.params,
  };
}

export interface UpdateSample {
  /** gasUsed of updateOperatorsForQuorum with every stake as recorded (only the stamp changes). */
  unchanged: bigint;
  /** gasUsed after every operator's weight changed (one new history entry each). */
  changed: bigint;
}

async function updateGas(avs: TestAvs, operators: readonly TestOperator[], quorum: number): Promise<bigint> {
  const sent = await avs.sender.sendLabelled(`updateOperatorsForQuorum(${quorum})`, avs.deployer, {
    to: avs.deployment.contracts.registryCoordinator.proxy,
    abi: registryCoordinatorAbi,
    functionName: "updateOperatorsForQuorum",
    args: [[sortedAddresses(operators.map((op) => op.address))], quorumNumbersBytes([quorum])],
    gas: 90_000_000n,
  });
  const [receipt] = await avs.sender.confirm([sent]);
  return receipt!.gasUsed;
}

/**
 * The whole-quorum update of `quorum` twice: once with nothing to change, then after each
 * operator deposited one more token into `strategy` (one of the quorum's strategies).
 */
export async function measureUpdate(
  avs: TestAvs,
  operators: readonly TestOperator[],
  quorum: number,
  strategy: Address,
): Promise<UpdateSample> {
  const unchanged = await updateGas(avs, operators, quorum);
  await depositStake(
    avs,
    operators.map((op) => ({ account: op.account, stakes: [{ strategy, amount: E18 }] })),
  );
  const changed = await updateGas(avs, operators, quorum);
  return { unchanged, changed };
}
