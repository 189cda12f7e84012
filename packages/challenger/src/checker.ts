import { taskManagerAbi } from "@avskit/bindings";
import type { Logger, ReadClient, WriteClient } from "@avskit/runtime";
import type { Address, Hash } from "viem";
import { ChallengeRevertedError, sendChallenge } from "./challenge.js";
import { NonSignersUnavailableError, TaskNotFoundError } from "./errors.js";
import { describeFailure, loggable } from "./failure.js";
import type { ChallengerMetrics } from "./metrics.js";
import { recoverNonSigners } from "./non-signers.js";
import type { RespondedTask } from "./scanner.js";
import type { TaskLookup } from "./task-lookup.js";

/** How a response was settled; anything else (RPC down, receipt timeout) is thrown and retried. */
export type Settlement =
  | { readonly kind: "correct" }
  | { readonly kind: "challenged"; readonly proven: boolean; readonly hash: Hash }
  | { readonly kind: "already-challenged"; readonly proven: boolean }
  | { readonly kind: "refused"; readonly errorName: string }
  | { readonly kind: "unrecoverable"; readonly reason: string }
  /** The challenge window closed first (after an RPC outage, say); the verdict if it was known. */
  | { readonly kind: "expired"; readonly verdict: "correct" | "wrong" | undefined };

export interface CheckerDeps {
  readonly client: ReadClient;
  readonly wallet: WriteClient;
  readonly taskManager: Address;
  readonly tasks: TaskLookup;
  readonly logger: Logger;
  readonly metrics: ChallengerMetrics;
  readonly txTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** The service's stop request: no challenge is sent after it. */
  readonly stopSignal: AbortSignal;
  /** Ends the receipt wait of a challenge already sent (after the stop's grace period). */
  readonly receiptSignal: AbortSignal;
}

/** Errors another try cannot fix. */
function isPermanent(error: unknown): error is NonSignersUnavailableError | TaskNotFoundError {
  return error instanceof NonSignersUnavailableError || error instanceof TaskNotFoundError;
}

/**
 * Recomputes one response and, only when it is wrong, challenges it. A response's verdict is
 * counted once even when settling it takes several tries.
 */
export class ResponseChecker {
  readonly #deps: CheckerDeps;
  readonly #verdicts = new Map<number, "correct" | "wrong">();

  constructor(deps: CheckerDeps) {
    this.#deps = deps;
  }

  async settle(responded: RespondedTask): Promise<Settlement> {
    const taskIndex = responded.response.referenceTaskIndex;
    try {
      const settlement = await this.#settle(responded);
      this.#verdicts.delete(taskIndex);
      this.#deps.tasks.forget(taskIndex);
      return settlement;
    } catch (error) {
      // A transient failure keeps the verdict, so the retry does not count the response again.
      if (!isPermanent(error)) throw error;
      this.#verdicts.delete(taskIndex);
      this.#deps.tasks.forget(taskIndex);
      const reason = error instanceof TaskNotFoundError ? "task-not-found" : "non-signers-unavailable";
      this.#deps.metrics.challengesFailed.inc({ reason });
      this.#deps.logger.error(
        { taskIndex, err: error },
        `cannot challenge the wrong response: ${error.message}`,
      );
      return { kind: "unrecoverable", reason };
    }
  }

  /** Forgets a response without settling it (its window closed); returns its verdict if known. */
  drop(taskIndex: number): "correct" | "wrong" | undefined {
    const verdict = this.#verdicts.get(taskIndex);
    this.#verdicts.delete(taskIndex);
    this.#deps.tasks.forget(taskIndex);
    return verdict;
  }

  async #settle(responded: RespondedTask): Promise<Settlement> {
    const { client, logger, metrics, taskManager } = this.#deps;
    const { response, metadata } = responded;
    const taskIndex = response.referenceTaskIndex;
    const task = await this.#deps.tasks.find(taskIndex, metadata.taskRespondedBlock);
    const expected = task.a + task.b;
    const verdict = response.sum === expected ? "correct" : "wrong";
    if (!this.#verdicts.has(taskIndex)) {
      this.#verdicts.set(taskIndex, verdict);
      metrics.responsesChecked.inc({ verdict });
    }
    const context = {
      taskIndex,
      a: task.a.toString(),
      b: task.b.toString(),
      respondedSum: response.sum.toString(),
      respondedBlock: metadata.taskRespondedBlock,
      responseTx: responded.txHash,
    };
    if (verdict === "correct") {
      logger.info(context, "response correct; not challenging");
      return { kind: "correct" };
    }
    logger.warn({ ...context, expectedSum: expected.toString() }, "wrong response; challenging it");

    const alreadyChallenged = await client.readContract({
      address: taskManager,
      abi: taskManagerAbi,
      functionName: "taskChallenged",
      args: [taskIndex],
    });
    if (alreadyChallenged) return this.#alreadyChallenged(taskIndex);

    const nonSigners = await recoverNonSigners(client, {
      taskManager,
      taskIndex,
      responseTx: responded.txHash,
      referenceBlock: task.taskCreatedBlock,
      expectedHash: metadata.hashOfNonSigners,
    });
    logger.debug(
      { taskIndex, nonSigners: nonSigners.pubkeys.length, source: nonSigners.source },
      "non-signers recovered",
    );

    try {
      const result = await sendChallenge({
        client,
        wallet: this.#deps.wallet,
        taskManager,
        taskIndex,
        task,
        response,
        metadata,
        nonSignerPubkeys: nonSigners.pubkeys,
        txTimeoutMs: this.#deps.txTimeoutMs,
        pollIntervalMs: this.#deps.pollIntervalMs,
        stopSignal: this.#deps.stopSignal,
        receiptSignal: this.#deps.receiptSignal,
        onSent: (hash) => {
          metrics.challengesSent.inc();
          logger.info({ taskIndex, tx: hash }, "challenge sent");
        },
      });
      if (result.proven) {
        metrics.challengesSucceeded.inc();
        logger.info(
          { taskIndex, tx: result.hash, block: Number(result.blockNumber), gasUsed: Number(result.gasUsed) },
          "challenge succeeded: the response was proven wrong",
        );
      } else {
        metrics.challengesFailed.inc({ reason: "unsuccessful" });
        logger.error(
          { taskIndex, tx: result.hash },
          "challenge ran but the contract found the response correct",
        );
      }
      return { kind: "challenged", proven: result.proven, hash: result.hash };
    } catch (error) {
      if (error instanceof ChallengeRevertedError) {
        metrics.challengesFailed.inc({ reason: "reverted" });
        logger.error({ taskIndex, tx: error.hash }, error.message);
        return { kind: "refused", errorName: "reverted" };
      }
      const failure = describeFailure(error);
      if (failure.reason !== "reverted") throw error;
      const errorName = failure.errorName ?? "unknown";
      if (errorName === "TaskAlreadyChallenged") return this.#alreadyChallenged(taskIndex);
      metrics.challengesFailed.inc({ reason: errorName });
      logger.error(
        { taskIndex, errorName, errorArgs: loggable(failure.errorArgs), detail: failure.message },
        `the contract refuses the challenge: ${errorName}`,
      );
      return { kind: "refused", errorName };
    }
  }

  async #alreadyChallenged(taskIndex: number): Promise<Settlement> {
    const proven = await this.#deps.client.readContract({
      address: this.#deps.taskManager,
      abi: taskManagerAbi,
      functionName: "taskSuccessfullyChallenged",
      args: [taskIndex],
    });
    this.#deps.logger.info({ taskIndex, proven }, "response already challenged; nothing to do");
    return { kind: "already-challenged", proven };
  }
}
