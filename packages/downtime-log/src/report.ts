import { signDigest } from "@avskit/bls";
import { g1ToJson } from "@avskit/sequencer-protocol";
import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { z } from "zod";
import { operatorEpoch } from "./answers.js";
import type { DowntimeDb } from "./db.js";
import type { EpochConfig } from "./epochs.js";

/**
 * The on-chain downtime report (contracts/contracts/downtime/DowntimeEjector.sol): what operators
 * sign so that the DowntimeEjector at `ejector` on chain `chainId` ejects `operator`.
 */
export interface DowntimeReport {
  readonly chainId: number;
  readonly ejector: Address;
  readonly operator: Address;
  readonly epoch: number;
  readonly downtimeMs: number;
  readonly asOfIndex: number;
  readonly referenceBlock: number;
}

/** keccak256("avskit.downtime.report.v1"), the contract's REPORT_TYPEHASH. */
export const REPORT_TYPEHASH: Hex = keccak256(toBytes("avskit.downtime.report.v1"));

/** The contract's reportHash: the BN254 message (hashToG1 of it) each signer signs. */
export function reportDigest(report: DowntimeReport): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "uint256" },
        { type: "address" },
        { type: "address" },
        { type: "uint64" },
        { type: "uint64" },
        { type: "uint64" },
        { type: "uint32" },
      ],
      [
        REPORT_TYPEHASH,
        BigInt(report.chainId),
        report.ejector,
        report.operator,
        BigInt(report.epoch),
        BigInt(report.downtimeMs),
        BigInt(report.asOfIndex),
        report.referenceBlock,
      ],
    ),
  );
}

const uint = (max: number) => z.number().int().min(0).max(max);
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected an address")
  .transform((s) => s as Address);

const reportSchema = z.strictObject({
  chainId: uint(Number.MAX_SAFE_INTEGER).min(1),
  ejector: address,
  operator: address,
  epoch: uint(Number.MAX_SAFE_INTEGER),
  downtimeMs: uint(Number.MAX_SAFE_INTEGER),
  asOfIndex: uint(Number.MAX_SAFE_INTEGER),
  referenceBlock: uint(0xffff_ffff),
});

export function parseReport(json: unknown): DowntimeReport | undefined {
  const parsed = reportSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export type ReportReply =
  | { readonly signed: true; readonly operatorId: Hex; readonly signature: { X: string; Y: string } }
  | {
      readonly signed: false;
      readonly reason: "NOT_YET" | "NOT_A_MEMBER" | "EPOCHS_NOT_IN_SECONDS" | "DISAGREE";
      readonly message: string;
    };

/**
 * Signs `report` with this operator's BN254 key only if this replica's own database, as of the
 * report's log index, gives exactly that downtime for that operator and epoch: a replica vouches
 * for what it holds, nothing else. The contract's epochs count seconds, so the log's epochs must
 * be whole seconds for the numbers to name the same window.
 */
export function answerReport(
  deps: { db: DowntimeDb; epochs: EpochConfig; secretKey: bigint; self: Hex },
  report: DowntimeReport,
): ReportReply {
  const { db, epochs } = deps;
  if (epochs.lengthMs % 1000 !== 0 || epochs.originMs % 1000 !== 0)
    return {
      signed: false,
      reason: "EPOCHS_NOT_IN_SECONDS",
      message: "this log's epochs are not whole seconds",
    };
  const applied = db.position().index;
  if (report.asOfIndex > applied)
    return { signed: false, reason: "NOT_YET", message: `this replica has applied the log up to ${applied}` };
  const operatorId = db.operatorIdOf(report.operator);
  if (operatorId === undefined)
    return {
      signed: false,
      reason: "NOT_A_MEMBER",
      message: `${report.operator} is not an operator the log knows`,
    };
  const mine = operatorEpoch(db, epochs, operatorId, report.epoch, report.asOfIndex);
  if (mine.downtimeMs !== report.downtimeMs)
    return {
      signed: false,
      reason: "DISAGREE",
      message: `as of index ${report.asOfIndex} this replica has ${mine.downtimeMs} ms of downtime, not ${report.downtimeMs}`,
    };
  return {
    signed: true,
    operatorId: deps.self,
    signature: g1ToJson(signDigest(deps.secretKey, reportDigest(report))),
  };
}
