import { taskManagerAbi } from "@avskit/bindings";
import type { ReadClient } from "@avskit/runtime";
import {
  type Address,
  decodeFunctionData,
  getAbiItem,
  type Hash,
  type Hex,
  isAddressEqual,
  toFunctionSelector,
} from "viem";
import { NonSignersUnavailableError } from "./errors.js";
import { describeFailure } from "./failure.js";
import { type G1Point, signatoryRecordHash } from "./record-hash.js";

export interface NonSignerQuery {
  readonly taskManager: Address;
  readonly taskIndex: number;
  /** The transaction that emitted TaskResponded. */
  readonly responseTx: Hash;
  /** The task's reference block (taskCreatedBlock). */
  readonly referenceBlock: number;
  /** hashOfNonSigners from the response metadata. */
  readonly expectedHash: Hex;
}

export interface RecoveredNonSigners {
  readonly pubkeys: readonly G1Point[];
  /** Where they came from: the transaction's own calldata, or an inner call found by tracing it. */
  readonly source: "calldata" | "trace";
}

const RESPOND_SELECTOR = toFunctionSelector(getAbiItem({ abi: taskManagerAbi, name: "respondToTask" }));

/** The nonSignerPubkeys of a respondToTask call for `taskIndex`, or undefined if `input` is not one. */
function nonSignersFromInput(input: Hex, taskIndex: number): readonly G1Point[] | undefined {
  if (!input.toLowerCase().startsWith(RESPOND_SELECTOR)) return undefined;
  try {
    const call = decodeFunctionData({ abi: taskManagerAbi, data: input });
    if (call.functionName !== "respondToTask") return undefined;
    const [, response, input_] = call.args;
    if (response.referenceTaskIndex !== taskIndex) return undefined;
    return input_.nonSignerPubkeys.map((point) => ({ X: point.X, Y: point.Y }));
  } catch {
    return undefined;
  }
}

interface CallFrame {
  readonly to?: string;
  readonly input?: string;
  readonly calls?: readonly CallFrame[];
}

function* framesCalling(frame: CallFrame, target: Address): Generator<Hex> {
  if (frame.to && frame.input && isAddressEqual(frame.to as Address, target)) yield frame.input as Hex;
  for (const child of frame.calls ?? []) yield* framesCalling(child, target);
}

type RawRequest = (args: { method: string; params: readonly unknown[] }) => Promise<unknown>;

/**
 * The non-signers' G1 keys exactly as the aggregator passed them to respondToTask, which is what
 * raiseAndResolveChallenge needs (they must hash to the recorded hashOfNonSigners, in order).
 * They are not in any event, so they are read from the response transaction: its calldata when
 * the aggregator called the TaskManager directly, else the inner call found with a callTracer
 * trace (when the node offers debug_traceTransaction). Every candidate is checked against the
 * recorded hash before use. RPC failures are thrown as they are, for the caller to retry.
 */
export async function recoverNonSigners(
  client: ReadClient,
  query: NonSignerQuery,
): Promise<RecoveredNonSigners> {
  const matches = (pubkeys: readonly G1Point[]) =>
    signatoryRecordHash(query.referenceBlock, pubkeys) === query.expectedHash.toLowerCase();

  const tx = await client.getTransaction({ hash: query.responseTx });
  const direct =
    tx.to && isAddressEqual(tx.to, query.taskManager)
      ? nonSignersFromInput(tx.input, query.taskIndex)
      : undefined;
  if (direct && matches(direct)) return { pubkeys: direct, source: "calldata" };

  let detail = direct
    ? "the calldata's non-signers do not hash to the recorded hashOfNonSigners"
    : "not a direct respondToTask call";
  try {
    const trace = (await (client.request as unknown as RawRequest)({
      method: "debug_traceTransaction",
      params: [query.responseTx, { tracer: "callTracer" }],
    })) as CallFrame;
    for (const input of framesCalling(trace, query.taskManager)) {
      const pubkeys = nonSignersFromInput(input, query.taskIndex);
      if (pubkeys && matches(pubkeys)) return { pubkeys, source: "trace" };
    }
    detail += "; no inner respondToTask call with matching non-signers in its trace";
  } catch (error) {
    if (describeFailure(error).reason === "rpc") throw error;
    detail += `; tracing unavailable (${(error as Error).message.split("\n")[0]})`;
  }
  throw new NonSignersUnavailableError(query.taskIndex, query.responseTx, query.expectedHash, detail);
}
