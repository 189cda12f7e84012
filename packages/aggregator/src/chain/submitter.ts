import { taskManagerAbi, withAllErrors } from "@avskit/bindings";
import { g1ToSolidity, g2ToSolidity, type HashToG1Hint, hashToG1Hint } from "@avskit/bls";
import {
  type BackoffPolicy,
  type Logger,
  type ReadClient,
  ReceiptWaitAbortedError,
  RetryAbortedError,
  retry,
  type WriteClient,
  waitForReceipt,
} from "@avskit/runtime";
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Hex } from "viem";
import { briefly } from "../errors.js";
import {
  AggregateRejectedError,
  type ResponseSubmitter,
  SubmissionFailedError,
  type SubmitResult,
} from "../submitter.js";
import type { TaskInfo } from "../task.js";
import type { Submission } from "../task-aggregation.js";
import { type AvsContracts, quorumBytes, readRetriever } from "./contracts.js";
import type { OnChainTask } from "./task-events.js";

export interface ChainSubmitterOptions {
  readonly client: ReadClient;
  readonly wallet: WriteClient;
  readonly contracts: AvsContracts;
  readonly logger: Logger;
  /** Gas limit = estimate × this (the estimate is exact on a quiet chain; keep headroom). */
  readonly gasMultiplier?: number;
  /** Tries per task for transient failures (RPC errors, lost transactions), backing off. */
  readonly maxAttempts?: number;
  /** Waits between tries; 250 ms doubling up to 4 s by default. */
  readonly backoff?: BackoffPolicy;
  readonly receiptTimeoutMs?: number;
  /**
   * The service's stop: aborting ends receipt waits and retries at once. A submission that a
   * stop cut off resolves as `cut-off`, with the transaction hash when one was sent.
   */
  readonly signal?: AbortSignal;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 4_000 };

const FEE_CACHE_MS = 3_000;

/** Contract errors after which trying again is pointless. */
/** Errors raised inside the checker's registries bubble up through respondToTask: all are named. */
const RESPOND_ABI = withAllErrors(taskManagerAbi);

const PERMANENT_REVERTS = new Set(["ResponseTooLate", "WrongTaskHash"]);
/** The checker refused the aggregate itself: the signatures must be looked at again. */
const AGGREGATE_REVERTS = new Set(["InvalidSignature", "PairingPrecompileFailed"]);

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError)
    return revert.data?.errorName ?? revert.reason ?? "revert";
  return undefined;
}

/**
 * Lands `respondToTask`. Per attempt, in three round trips: (1) the checker's history indices
 * for the non-signers (the fees are usually prefetched, the hashToG1 hint is computed locally);
 * (2) a simulation of the whole call, signature check included, so a bad aggregate or an
 * answered task is refused before anything is sent, alongside one execution for the gas it
 * uses; (3) the transaction, signed locally and sent raw, and its receipt awaited (abortable:
 * a stop ends the wait and the submission resolves as `cut-off` with the hash). Transactions
 * from this account go out one at a time with a locally tracked nonce, re-read after any
 * failure. Transient failures are retried with the runtime's backoff until the window closes.
 * "Already responded" (seen before sending, or as the revert) ends the submission as done, so
 * neither a retry nor a restarted aggregator submits twice.
 */
export class ChainSubmitter implements ResponseSubmitter {
  readonly #options: ChainSubmitterOptions;
  readonly #hints = new Map<Hex, HashToG1Hint>();
  #sending: Promise<unknown> = Promise.resolve();
  #nextNonce: number | undefined;
  #accessListWorks: boolean | undefined;
  #feeCache:
    | { at: number; fees: Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> }
    | undefined;

  constructor(options: ChainSubmitterOptions) {
    this.#options = options;
  }

  async submit(task: TaskInfo, submission: Submission, onSent: (txHash: Hex) => void): Promise<SubmitResult> {
    const { logger, signal } = this.#options;
    const maxAttempts = this.#options.maxAttempts ?? 6;
    let sentHash: Hex | undefined;
    let lastError: unknown;
    let attempts = 0;
    // A submission that begins after the stop was asked (a task whose threshold was met while
    // its collection window ran) is still sent, once, so that what was collected is not thrown
    // away; its receipt is not waited for.
    const stopping = signal?.aborted === true;
    try {
      return await retry(
        async (tryNumber) => {
          attempts = tryNumber;
          if (tryNumber > 1) await this.#ensureWindowOpen(task, lastError);
          try {
            return await this.#attempt(task, submission, (hash) => {
              sentHash = hash;
              onSent(hash);
            });
          } catch (error) {
            throw classify(task, error);
          }
        },
        {
          policy: this.#options.backoff ?? DEFAULT_BACKOFF,
          tries: stopping ? 1 : maxAttempts,
          ...(stopping || signal === undefined ? {} : { signal }),
          isPermanent: (error) =>
            error instanceof SubmissionFailedError || revertName(error) === "TaskAlreadyResponded",
          onRetry: ({ failedTry, error, delayMs }) => {
            lastError = error;
            logger.warn(
              {
                taskIndex: task.taskIndex,
                attempt: failedTry,
                revert: revertName(error),
                error: briefly(error),
                retryInMs: delayMs,
              },
              "respondToTask attempt failed; retrying",
            );
          },
        },
      );
    } catch (error) {
      if (revertName(error) === "TaskAlreadyResponded") return { kind: "already-responded" };
      if (error instanceof SubmissionFailedError) throw error;
      if (error instanceof ReceiptWaitAbortedError || error instanceof RetryAbortedError || signal?.aborted) {
        return { kind: "cut-off", txHash: sentHash, reason: briefly(error) };
      }
      throw new SubmissionFailedError(
        task.taskIndex,
        `gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${briefly(error)}`,
        { cause: error },
      );
    }
  }

  /** Before a retry: pointless once the head has reached the task's last response block. */
  async #ensureWindowOpen(task: TaskInfo, lastError: unknown): Promise<void> {
    const head = await this.#options.client.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
    if (head !== undefined && head >= task.lastResponseBlock) {
      throw new SubmissionFailedError(
        task.taskIndex,
        `response window closed at block ${task.lastResponseBlock} while retrying (${briefly(lastError)})`,
        { cause: lastError },
      );
    }
  }

  async #attempt(
    task: TaskInfo,
    submission: Submission,
    onSent: (txHash: Hex) => void,
  ): Promise<SubmitResult> {
    const { client, wallet, contracts } = this.#options;
    const started = performance.now();
    // An answered task needs no separate read: the simulation below reverts with
    // TaskAlreadyResponded, which ends the submission as done.
    const [params, fees] = await Promise.all([this.#checkInput(task, submission), this.#fees()]);
    const call = {
      address: contracts.taskManager,
      abi: RESPOND_ABI,
      functionName: "respondToTask",
      args: [task.task as OnChainTask, submission.response, params],
    } as const;
    // Simulates the whole call (signature check included): a revert surfaces here, decoded,
    // costing no gas. The gas it needs comes from eth_createAccessList, which runs the call
    // once; eth_estimateGas would run this pairing-heavy call a dozen times in its search.
    const data = encodeFunctionData(call);
    const prepared = performance.now();
    const [simulated, measured] = await Promise.allSettled([
      // "pending": the transaction lands in the next block, after the task's reference block;
      // at "latest" the checker would see a reference block not yet in the past.
      client.simulateContract({ ...call, account: wallet.account, blockTag: "pending" }),
      this.#gasUsed(data),
    ]);
    // The simulation's error first: it carries the contract's decoded custom error.
    if (simulated.status === "rejected") throw simulated.reason;
    if (measured.status === "rejected") throw measured.reason;
    const gasUsed = measured.value;
    const estimated = performance.now();
    const gas = (gasUsed * BigInt(Math.round((this.#options.gasMultiplier ?? 1.2) * 100))) / 100n;
    const hash = await this.#send(async (nonce) => {
      const request = {
        to: contracts.taskManager,
        data,
        gas,
        nonce,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        chainId: client.chain.id,
        type: "eip1559" as const,
      };
      const account = wallet.account;
      if (account.signTransaction) {
        return client.sendRawTransaction({ serializedTransaction: await account.signTransaction(request) });
      }
      return wallet.sendTransaction({ ...request, account, chain: wallet.chain });
    });
    this.#options.logger.debug(
      {
        taskIndex: task.taskIndex,
        prepareMs: Math.round(prepared - started),
        estimateMs: Math.round(estimated - prepared),
        sendMs: Math.round(performance.now() - estimated),
      },
      "respondToTask timings",
    );
    onSent(hash);
    const receipt = await waitForReceipt(client, hash, {
      timeoutMs: this.#options.receiptTimeoutMs ?? 60_000,
      ...(this.#options.signal !== undefined ? { signal: this.#options.signal } : {}),
    });
    if (receipt.status === "success") {
      return { kind: "responded", txHash: hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
    }
    if (await this.#alreadyResponded(task.taskIndex)) return { kind: "already-responded" };
    throw new Error(`respondToTask transaction ${hash} reverted in block ${receipt.blockNumber}`);
  }

  /**
   * EIP-1559 fees, reused for a few seconds: fetched ahead (when a new answer appears) so that
   * submitting does not wait for them; the max fee's headroom over the base fee absorbs the age.
   */
  #fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const now = Date.now();
    if (this.#feeCache === undefined || now - this.#feeCache.at > FEE_CACHE_MS) {
      const fees = this.#options.client.estimateFeesPerGas();
      fees.catch(() => {
        if (this.#feeCache?.fees === fees) this.#feeCache = undefined;
      });
      this.#feeCache = { at: now, fees };
    }
    return this.#feeCache.fees;
  }

  /** Gas the call uses, from one execution; eth_estimateGas where a node lacks eth_createAccessList. */
  async #gasUsed(data: Hex): Promise<bigint> {
    const { client, wallet, contracts } = this.#options;
    const request = {
      account: wallet.account,
      to: contracts.taskManager,
      data,
      blockTag: "pending" as const,
    };
    if (this.#accessListWorks !== false) {
      try {
        const { gasUsed } = await client.createAccessList(request);
        this.#accessListWorks = true;
        return gasUsed;
      } catch (error) {
        // A revert is reported by the simulation running alongside; only a missing method falls back.
        if (this.#accessListWorks === true || revertName(error) !== undefined) throw error;
        this.#accessListWorks = false;
      }
    }
    return client.estimateGas({ account: wallet.account, to: contracts.taskManager, data });
  }

  /**
   * One transaction at a time from this account, with the nonce tracked here: read from the
   * chain (pending) the first time and after any failed send, incremented after each success.
   */
  #send(send: (nonce: number) => Promise<Hex>): Promise<Hex> {
    const run = async () => {
      const { client, wallet } = this.#options;
      this.#nextNonce ??= await client.getTransactionCount({
        address: wallet.account.address,
        blockTag: "pending",
      });
      try {
        const hash = await send(this.#nextNonce);
        this.#nextNonce += 1;
        return hash;
      } catch (error) {
        this.#nextNonce = undefined;
        throw error;
      }
    };
    const result = this.#sending.then(run, run);
    this.#sending = result.catch(() => undefined);
    return result;
  }

  async #alreadyResponded(taskIndex: number): Promise<boolean> {
    return this.#options.client.readContract({
      address: this.#options.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "taskResponded",
      args: [taskIndex],
    });
  }

  /** The checker's input: keys and apks from the aggregation, history indices from the chain, the hash hint computed here. */
  async #checkInput(task: TaskInfo, submission: Submission) {
    const { client, contracts } = this.#options;
    const quorums = quorumBytes(task.quorumNumbers);
    const nonSignerIds = submission.nonSigners.map((record) => record.operatorId);
    const indices = await readRetriever(client, contracts, "getCheckSignaturesIndices", [
      contracts.registryCoordinator,
      Number(task.referenceBlock),
      quorums,
      nonSignerIds,
    ]);
    const g2 = g2ToSolidity(submission.apkG2);
    return {
      nonSignerQuorumBitmapIndices: indices.nonSignerQuorumBitmapIndices,
      nonSignerPubkeys: submission.nonSigners.map((record) => g1ToSolidity(record.pubkeyG1)),
      quorumApks: submission.quorumApks.map((apk) => g1ToSolidity(apk)),
      apkG2: { X: [g2.X[0], g2.X[1]] as const, Y: [g2.Y[0], g2.Y[1]] as const },
      sigma: g1ToSolidity(submission.sigma),
      quorumApkIndices: indices.quorumApkIndices,
      totalStakeIndices: indices.totalStakeIndices,
      nonSignerStakeIndices: indices.nonSignerStakeIndices,
      hashHint: this.#hashHint(submission.digest),
    };
  }

  /**
   * The witness that lets the checker confirm hashToG1(digest) cheaply: computed here (a few
   * modular exponentiations), once per digest.
   */
  #hashHint(digest: Hex): HashToG1Hint {
    let hint = this.#hints.get(digest);
    if (hint === undefined) {
      hint = hashToG1Hint(digest);
      this.#hints.set(digest, hint);
      if (this.#hints.size > 256) this.#hints.delete(this.#hints.keys().next().value!);
    }
    return hint;
  }

  /** Computes the hint and fetches the fees ahead of submission, when a digest first collects a valid signature. */
  prefetch(digest: Hex): void {
    this.#hashHint(digest);
    this.#fees().catch(() => undefined);
  }
}

/** Reverts after which another try is pointless become the submission's own errors. */
function classify(task: TaskInfo, error: unknown): unknown {
  const reverted = revertName(error);
  if (reverted !== undefined && AGGREGATE_REVERTS.has(reverted)) {
    return new AggregateRejectedError(task.taskIndex, reverted, { cause: error });
  }
  if (reverted !== undefined && PERMANENT_REVERTS.has(reverted)) {
    return new SubmissionFailedError(task.taskIndex, `respondToTask reverted with ${reverted}`, {
      cause: error,
    });
  }
  return error;
}
