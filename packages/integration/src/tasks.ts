import { type TaskResponse, taskResponseDigest } from "@avskit/aggregator-api";
import { taskManagerAbi } from "@avskit/bindings";
import {
  encodeAbiParameters,
  getAbiItem,
  type Hex,
  keccak256,
  parseEventLogs,
  type TransactionReceipt,
  toHex,
} from "viem";
import type { TestAvs } from "./avs.js";
import type { NonSignerStakesAndSignature } from "./check-input.js";
import { UnexpectedChainStateError } from "./errors.js";
import { quorumNumbersBytes } from "./operators.js";

/** ITaskManager.Task as emitted in NewTaskCreated. */
export interface Task {
  a: bigint;
  b: bigint;
  taskCreatedBlock: number;
  quorumThresholdPercentage: number;
  quorumNumbers: Hex;
}

export type { TaskResponse };
export { taskResponseDigest };

export interface CreatedTask {
  readonly taskIndex: number;
  readonly task: Task;
  readonly receipt: TransactionReceipt;
}

/** Creates a task as the task generator and returns it as the NewTaskCreated event carries it. */
export async function createTask(
  avs: TestAvs,
  input: { a: bigint; b: bigint; thresholdPercentage: number; quorums: readonly number[] },
): Promise<CreatedTask> {
  const sent = await avs.sender.sendLabelled("createNewTask", avs.taskGenerator, {
    to: avs.deployment.contracts.taskManager.proxy,
    abi: taskManagerAbi,
    functionName: "createNewTask",
    args: [input.a, input.b, input.thresholdPercentage, quorumNumbersBytes(input.quorums)],
    gas: 500_000n,
  });
  const [receipt] = await avs.sender.confirm([sent]);
  const [event] = parseEventLogs({ abi: taskManagerAbi, eventName: "NewTaskCreated", logs: receipt!.logs });
  if (!event) throw new UnexpectedChainStateError(`createNewTask ${sent.hash} emitted no NewTaskCreated`);
  return { taskIndex: event.args.taskIndex, task: { ...event.args.task }, receipt: receipt! };
}

export interface RespondedTask {
  readonly receipt: TransactionReceipt;
  /** TaskResponded's metadata. */
  readonly taskRespondedBlock: number;
  readonly hashOfNonSigners: Hex;
}

/** Sends respondToTask as the aggregator (explicit gas: no estimate) and waits for success. */
export async function respondToTask(
  avs: TestAvs,
  task: Task,
  response: TaskResponse,
  params: NonSignerStakesAndSignature,
  gas = 5_000_000n,
): Promise<RespondedTask> {
  const sent = await avs.sender.sendLabelled("respondToTask", avs.aggregator, {
    to: avs.deployment.contracts.taskManager.proxy,
    abi: taskManagerAbi,
    functionName: "respondToTask",
    args: [task, response, params],
    gas,
  });
  const [receipt] = await avs.sender.confirm([sent]);
  const [event] = parseEventLogs({ abi: taskManagerAbi, eventName: "TaskResponded", logs: receipt!.logs });
  if (!event) throw new UnexpectedChainStateError(`respondToTask ${sent.hash} emitted no TaskResponded`);
  return {
    receipt: receipt!,
    taskRespondedBlock: event.args.taskResponseMetadata.taskRespondedBlock,
    hashOfNonSigners: event.args.taskResponseMetadata.hashOfNonSigners,
  };
}

const RESPONDED = 1n;

/** The contract's own struct layouts (task, response, metadata), from the challenge's inputs. */
const [TASK_PARAM, RESPONSE_PARAM, METADATA_PARAM] = getAbiItem({
  abi: taskManagerAbi,
  name: "raiseAndResolveChallenge",
}).inputs;

/**
 * What `TaskManager.taskRecord` holds once a task is answered (ITaskManager.taskRecord):
 * keccak256(abi.encode(taskHash, keccak256(abi.encode(response, metadata)))) with the lowest bit
 * set, taskHash being keccak256(abi.encode(task)) with it cleared. Computed here independently of
 * the contract, so a test that compares the two checks the contract's formula.
 */
export function answeredTaskRecord(
  task: Task,
  response: TaskResponse,
  metadata: { taskRespondedBlock: number; hashOfNonSigners: Hex },
): Hex {
  const taskHash = BigInt(keccak256(encodeAbiParameters([TASK_PARAM], [task]))) & ~RESPONDED;
  const responseHash = keccak256(encodeAbiParameters([RESPONSE_PARAM, METADATA_PARAM], [response, metadata]));
  const record =
    BigInt(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }],
          [toHex(taskHash, { size: 32 }), responseHash],
        ),
      ),
    ) | RESPONDED;
  return toHex(record, { size: 32 });
}
