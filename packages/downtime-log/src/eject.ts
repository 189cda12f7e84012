import { downtimeEjectorAbi, operatorStateRetrieverAbi, withAllErrors } from "@avskit/bindings";
import { G1, type G1Point, g1ToSolidity, g2FromSolidity, verifySignature } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import { g1FromJson } from "@avskit/sequencer-protocol";
import {
  type Account,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import type { OperatorEpochAnswer } from "./answers.js";
import { type DowntimeReport, type ReportReply, reportDigest } from "./report.js";

/**
 * The keeper's path from the replicas' databases to `DowntimeEjector.ejectForDowntime`:
 *
 * 1. The ejector's rules: quorums, threshold, ejection share, epochs (seconds) and the current epoch.
 * 2. The report: the log index every replica has applied (the least of their indexes) and the
 *    operator's downtime in the epoch as of it, as the replicas answer (they agree byte for byte at
 *    one index; a replica that answers otherwise is left out). Below the ejection share nothing is
 *    asked or sent.
 * 3. Stake is counted at the latest block less one. Each replica is asked to sign the report
 *    (`POST /v1/reports/sign`); it signs only what its own database holds. Each share is checked
 *    (one pairing) against the key the registries hold for the signer at that block, so a bad
 *    share costs nothing on chain, and the signers' stake is summed per quorum: below the
 *    threshold nothing is sent.
 * 4. The checker's input comes from `OperatorStateRetriever.getNonSignerStakesAndSignature` (keys,
 *    APKs, history indices, hash hint) for sigma = Σ k_i·σ_i, k_i the number of the ejector's
 *    quorums signer i is in; the call is simulated (a revert names its error) and sent.
 */

export interface EjectParameters {
  readonly client: PublicClient;
  /** Sends the transaction; without one the report is built and simulated only (a dry run). */
  readonly wallet?: WalletClient & { account: Account };
  readonly ejector: Address;
  readonly operatorStateRetriever: Address;
  readonly replicas: readonly string[];
  readonly operator: Address;
  /** An epoch number, or the current one / the one before by the contract's clock. */
  readonly epoch: number | "current" | "previous";
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly txTimeoutMs?: number;
}

export type EjectReturnType =
  | {
      readonly ejected: true;
      readonly report: DowntimeReport;
      readonly signers: number;
      readonly signedStakePercent: readonly number[];
      readonly txHash: Hex;
      readonly gasUsed: string;
    }
  | {
      readonly ejected: false;
      readonly reason: "BELOW_SHARE" | "DRY_RUN";
      readonly report: DowntimeReport;
      readonly limitMs: number;
      readonly signers?: number;
      readonly signedStakePercent?: readonly number[];
    };

/** Base of the keeper's named errors: each says what stopped it; nothing was sent. */
export class EjectError extends Error {
  override name = "EjectError";
  constructor(
    readonly code: "NO_REPLICA" | "EPOCHS_DIFFER" | "NOT_ENOUGH_STAKE" | "REVERTED" | "NOT_MINED",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const ejectorAbi = withAllErrors(downtimeEjectorAbi);

async function getJson(doFetch: typeof fetch, url: string, init?: RequestInit): Promise<unknown> {
  const reply = await doFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await reply.text();
  if (!reply.ok) throw new Error(`${url} answered ${reply.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** The revert's error name and arguments, if the failure is a revert. */
export function revertOf(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError)) return undefined;
  const name = revert.data?.errorName ?? revert.reason ?? "revert";
  const args = (revert.data?.args ?? []).map((a) => String(a)).join(", ");
  return `${name}(${args})`;
}

export async function ejectForDowntime(p: EjectParameters): Promise<EjectReturnType> {
  const { client, ejector, logger } = p;
  const doFetch = p.fetch ?? fetch;
  const at = { address: ejector, abi: downtimeEjectorAbi } as const;
  const [quorumBytes, threshold, maxBps, origin, length, current, coordinator, chainId] = await Promise.all([
    client.readContract({ ...at, functionName: "quorumNumbers" }),
    client.readContract({ ...at, functionName: "thresholdPercentage" }),
    client.readContract({ ...at, functionName: "maxDowntimeBps" }),
    client.readContract({ ...at, functionName: "epochOrigin" }),
    client.readContract({ ...at, functionName: "epochLength" }),
    client.readContract({ ...at, functionName: "currentEpoch" }),
    client.readContract({ ...at, functionName: "registryCoordinator" }),
    client.getChainId(),
  ]);
  const epoch =
    p.epoch === "current" ? Number(current) : p.epoch === "previous" ? Number(current) - 1 : p.epoch;
  const epochStartMs = Number(origin + BigInt(epoch) * length) * 1000;
  const epochMs = Number(length) * 1000;
  const limitMs = Math.floor((epochMs * maxBps) / 10_000);

  // 2. The index every replica has, and the downtime as of it.
  const statuses = await Promise.all(
    p.replicas.map((url) =>
      getJson(doFetch, `${url.replace(/\/$/, "")}/v1/status`).then(
        (s) => ({ url, index: (s as { asOfIndex: number }).asOfIndex }),
        (error: unknown) => {
          logger.warn({ replica: url, err: error }, "replica did not answer its status; left out");
          return undefined;
        },
      ),
    ),
  );
  const up = statuses.filter((s) => s !== undefined);
  if (up.length === 0) throw new EjectError("NO_REPLICA", "no replica answered");
  const asOfIndex = Math.min(...up.map((s) => s.index));
  const answers = await Promise.all(
    up.map(({ url }) =>
      getJson(
        doFetch,
        `${url.replace(/\/$/, "")}/v1/operators/${p.operator}/epochs/${epoch}?at=${asOfIndex}`,
      ).then(
        (a) => ({ url, answer: a as OperatorEpochAnswer }),
        (error: unknown) => {
          logger.warn({ replica: url, err: error }, "replica did not answer; left out");
          return undefined;
        },
      ),
    ),
  );
  const answered = answers.filter((a) => a !== undefined);
  if (answered.length === 0) throw new EjectError("NO_REPLICA", "no replica answered for the operator");
  const first = answered[0]!.answer;
  if (first.epochStart !== epochStartMs || first.epochEnd - first.epochStart !== epochMs)
    throw new EjectError(
      "EPOCHS_DIFFER",
      `the log's epoch ${epoch} is [${first.epochStart}, ${first.epochEnd}) ms, the ejector's [${epochStartMs}, ${epochStartMs + epochMs}): give the replicas the ejector's --epoch-origin and --epoch-length`,
    );
  // Replicas at one index answer alike; the value most of them give is the log's.
  const tally = new Map<number, number>();
  for (const { answer } of answered) tally.set(answer.downtimeMs, (tally.get(answer.downtimeMs) ?? 0) + 1);
  const downtimeMs = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  if (tally.size > 1)
    logger.warn({ answers: Object.fromEntries(tally) }, "replicas disagree on the downtime");

  const referenceBlock = Number(await client.getBlockNumber()) - 1;
  const report: DowntimeReport = {
    chainId,
    ejector,
    operator: p.operator,
    epoch,
    downtimeMs,
    asOfIndex,
    referenceBlock,
  };
  if (downtimeMs <= limitMs) return { ejected: false, reason: "BELOW_SHARE", report, limitMs };

  // 3. Signatures, checked against the registries' keys at the reference block.
  const digest = reportDigest(report);
  const quorums = [...Buffer.from(quorumBytes.slice(2), "hex")];
  const state = await client.readContract({
    address: p.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getOperatorsWithPubkeys",
    args: [coordinator, quorumBytes, referenceBlock],
  });
  const replies = await Promise.all(
    up.map(({ url }) =>
      getJson(doFetch, `${url.replace(/\/$/, "")}/v1/reports/sign`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(report),
      }).then(
        (r) => ({ url, reply: r as ReportReply }),
        (error: unknown) => {
          logger.warn({ replica: url, err: error }, "replica did not sign; left out");
          return undefined;
        },
      ),
    ),
  );
  let sigma = G1.ZERO;
  const signers: Hex[] = [];
  const signed = quorums.map(() => 0n);
  for (const entry of replies) {
    if (entry === undefined) continue;
    const { url, reply } = entry;
    if (!reply.signed) {
      logger.info({ replica: url, reason: reply.reason, message: reply.message }, "replica declined to sign");
      continue;
    }
    const id = reply.operatorId.toLowerCase() as Hex;
    if (signers.includes(id)) continue;
    const seats = state.flatMap((ops, q) =>
      ops.filter((op) => op.operatorId.toLowerCase() === id).map((op) => ({ q, op })),
    );
    let share: G1Point;
    try {
      share = g1FromJson(reply.signature);
    } catch {
      logger.warn({ replica: url }, "replica's signature is not a point; left out");
      continue;
    }
    const key = seats[0]?.op.pubkeyG2;
    if (
      key === undefined ||
      !verifySignature(g2FromSolidity({ X: [key.X[0], key.X[1]], Y: [key.Y[0], key.Y[1]] }), digest, share)
    ) {
      logger.warn(
        { replica: url, operatorId: id },
        "replica's signature does not verify for its registered key; left out",
      );
      continue;
    }
    signers.push(id);
    for (const { q, op } of seats) {
      sigma = sigma.add(share);
      signed[q] = signed[q]! + op.stake;
    }
  }
  const totals = state.map((ops) => ops.reduce((sum, op) => sum + op.stake, 0n));
  const percent = signed.map((s, q) => (totals[q] === 0n ? 0 : Number((s * 10_000n) / totals[q]!) / 100));
  for (let q = 0; q < quorums.length; q++)
    if (signed[q]! * 100n < totals[q]! * BigInt(threshold))
      throw new EjectError(
        "NOT_ENOUGH_STAKE",
        `the signers hold ${percent[q]}% of quorum ${quorums[q]}'s stake at block ${referenceBlock}, below the ejector's ${threshold}% (${signers.length} of ${replies.length} replicas signed)`,
      );

  // 4. The checker's input, a simulation, the transaction.
  const params = await client.readContract({
    address: p.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getNonSignerStakesAndSignature",
    args: [coordinator, quorumBytes, g1ToSolidity(sigma), signers, referenceBlock, digest],
  });
  const value = {
    operator: report.operator,
    epoch: BigInt(epoch),
    downtimeMs: BigInt(downtimeMs),
    asOfIndex: BigInt(asOfIndex),
    referenceBlock,
  };
  const account = p.wallet?.account.address;
  try {
    await client.simulateContract({
      ...(account !== undefined ? { account } : {}),
      address: ejector,
      abi: ejectorAbi,
      functionName: "ejectForDowntime",
      args: [value, params],
    });
  } catch (error) {
    const revert = revertOf(error);
    if (revert === undefined) throw error;
    throw new EjectError("REVERTED", `ejectForDowntime would revert with ${revert}`, { cause: error });
  }
  if (p.wallet === undefined)
    return {
      ejected: false,
      reason: "DRY_RUN",
      report,
      limitMs,
      signers: signers.length,
      signedStakePercent: percent,
    };
  const txHash = await p.wallet.writeContract({
    chain: p.wallet.chain,
    account: p.wallet.account,
    address: ejector,
    abi: ejectorAbi,
    functionName: "ejectForDowntime",
    args: [value, params],
  });
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, timeout: p.txTimeoutMs ?? 60_000 });
  if (receipt.status !== "success")
    throw new EjectError("NOT_MINED", `ejectForDowntime ${txHash} was mined but reverted`);
  return {
    ejected: true,
    report,
    signers: signers.length,
    signedStakePercent: percent,
    txHash,
    gasUsed: receipt.gasUsed.toString(),
  };
}
