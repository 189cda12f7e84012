import { taskManagerAbi } from "@avskit/bindings";
import { g1ToSolidity, g2ToSolidity } from "@avskit/bls";
import { type Logger, type ReadClient, sleep, type WriteClient } from "@avskit/runtime";
import { BaseError, ContractFunctionRevertedError, type Hex, NonceTooLowError } from "viem";
import { type ResponseSubmitter, SubmissionFailedError, type SubmitResult } from "../submitter.js";
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
  readonly retryDelayMs?: number;
  readonly receiptTimeoutMs?: number;
  /** Stops retrying when asked to shut down. */
  readonly signal?: AbortSignal;
}

/** Contract errors after which trying again is pointless. */
const PERMANENT_REVERTS = new Set(["ResponseTooLate", "WrongTaskHash"]);

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError)
    return revert.data?.errorName ?? revert.reason ?? "revert";
  return undefined;
}

function isNonceError(error: unknown): boolean {
  if (error instanceof BaseError && error.walk((e) => e instanceof NonceTooLowError)) return true;
  return /nonce too low|nonce.*already used/i.test(String((error as Error)?.message));
}

/**
 * Lands `respondToTask`: checks the task is still unanswered, builds the checker's input
 * (non-signer keys ascending by id, history indices and hashToG1 hint from the
 * OperatorStateRetriever), simulates it through gas estimation, then sends with an explicit
 * nonce. Transactions from this account go out one at a time, so nonces never collide; a
 * stale nonce is re-read and retried. "Already responded" (before or as a revert) ends the
 * submission as done, so neither a retry nor a restarted aggregator submits twice.
 */
export class ChainSubmitter implements ResponseSubmitter {
  readonly #options: ChainSubmitterOptions;
  readonly #hints = new Map<Hex, Promise<unknown>>();
  #sending: Promise<unknown> = Promise.resolve();

  constructor(options: ChainSubmitterOptions) {
    this.#options = options;
  }

  async submit(task: TaskInfo, submission: Submission, onSent: (txHash: Hex) => void): Promise<SubmitResult> {
    const { logger, client } = this.#options;
    const maxAttempts = this.#options.maxAttempts ?? 6;
    const baseDelay = this.#options.retryDelayMs ?? 250;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        return await this.#attempt(task, submission, onSent);
      } catch (error) {
        lastError = error;
        const reverted = revertName(error);
        if (reverted === "TaskAlreadyResponded") return { kind: "already-responded" };
        if (reverted !== undefined && PERMANENT_REVERTS.has(reverted)) {
          throw new SubmissionFailedError(task.taskIndex, `respondToTask reverted with ${reverted}`, {
            cause: error,
          });
        }
        if (this.#options.signal?.aborted) break;
        const head = await client.getBlockNumber().catch(() => undefined);
        if (head !== undefined && head >= task.lastResponseBlock) {
          throw new SubmissionFailedError(
            task.taskIndex,
            `response window closed at block ${task.lastResponseBlock} while retrying (${(error as Error).message.split("\n")[0]})`,
            { cause: error },
          );
        }
        const delay = isNonceError(error) ? 0 : baseDelay * 2 ** (attempt - 1);
        logger.warn(
          { taskIndex: task.taskIndex, attempt, revert: reverted, err: error, retryInMs: delay },
          "respondToTask attempt failed; retrying",
        );
        await sleep(delay, this.#options.signal);
      }
    }
    throw new SubmissionFailedError(
      task.taskIndex,
      `gave up after ${maxAttempts} attempts: ${(lastError as Error)?.message?.split("\n")[0]}`,
      { cause: lastError },
    );
  }

  async #attempt(
    task: TaskInfo,
    submission: Submission,
    onSent: (txHash: Hex) => void,
  ): Promise<SubmitResult> {
    const { client, wallet, contracts } = this.#options;
    const [responded, params] = await Promise.all([
      this.#alreadyResponded(task.taskIndex),
      this.#checkInput(task, submission),
    ]);
    if (responded) return { kind: "already-responded" };
    const request = {
      address: contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "respondToTask",
      args: [task.task as OnChainTask, submission.response, params],
      account: wallet.account,
    } as const;
    // Simulates the whole call (signature check included): a revert surfaces here, costing no gas.
    const estimate = await client.estimateContractGas(request);
    const gas = (estimate * BigInt(Math.round((this.#options.gasMultiplier ?? 1.2) * 100))) / 100n;
    const hash = await this.#send(async () => {
      const nonce = await client.getTransactionCount({
        address: wallet.account.address,
        blockTag: "pending",
      });
      return wallet.writeContract({ ...request, gas, nonce, chain: wallet.chain });
    });
    onSent(hash);
    const receipt = await client.waitForTransactionReceipt({
      hash,
      timeout: this.#options.receiptTimeoutMs ?? 60_000,
    });
    if (receipt.status === "success") {
      return { kind: "responded", txHash: hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
    }
    if (await this.#alreadyResponded(task.taskIndex)) return { kind: "already-responded" };
    throw new Error(`respondToTask transaction ${hash} reverted in block ${receipt.blockNumber}`);
  }

  /** One transaction at a time from this account: the nonce read and the send are not interleaved. */
  #send(send: () => Promise<Hex>): Promise<Hex> {
    const result = this.#sending.then(send, send);
    this.#sending = result.catch(() => undefined);
    return result;
  }

  async #alreadyResponded(taskIndex: number): Promise<boolean> {
    const recorded = await this.#options.client.readContract({
      address: this.#options.contracts.taskManager,
      abi: taskManagerAbi,
      functionName: "allTaskResponses",
      args: [taskIndex],
    });
    return BigInt(recorded) !== 0n;
  }

  /** The checker's input: keys and apks from the aggregation, history indices and the hash hint from the chain. */
  async #checkInput(task: TaskInfo, submission: Submission) {
    const { client, contracts } = this.#options;
    const quorums = quorumBytes(task.quorumNumbers);
    const nonSignerIds = submission.nonSigners.map((record) => record.operatorId);
    const [indices, hint] = await Promise.all([
      readRetriever(client, contracts, "getCheckSignaturesIndices", [
        contracts.registryCoordinator,
        Number(task.referenceBlock),
        quorums,
        nonSignerIds,
      ]),
      this.#hashHint(submission.digest),
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
      hashHint: (await hint) as { nonResidueRoots: readonly bigint[]; y: bigint; yRoot: bigint },
    };
  }

  /** The witness that lets the checker confirm hashToG1(digest) cheaply; fetched once per digest. */
  #hashHint(digest: Hex): Promise<unknown> {
    let hint = this.#hints.get(digest);
    if (hint === undefined) {
      hint = readRetriever(this.#options.client, this.#options.contracts, "getHashToG1Hint", [digest]);
      hint.catch(() => this.#hints.delete(digest));
      this.#hints.set(digest, hint);
      if (this.#hints.size > 256) this.#hints.delete(this.#hints.keys().next().value!);
    }
    return hint;
  }

  /** Fetches the hint ahead of submission, e.g. when a digest first appears. */
  prefetchHint(digest: Hex): void {
    this.#hashHint(digest).catch(() => undefined);
  }
}
