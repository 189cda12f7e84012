import { type LogTip, logTipFromJson, logTipToJson, WireFormatError } from "@avskit/sequencer-protocol";
import { type RefusalCode, RefusedError } from "./errors.js";

/**
 * Glue between the library's codecs and the node's refusals: a body the library rejects is
 * refused with the field it names. The bodies themselves are the library's (one home for the
 * wire); only the extra fields of the node's own refusals (LOG_MISMATCH's tip) are framed here.
 */

/** Decodes with a library codec; a WireFormatError becomes a refusal with `code`. */
export function decodeOr<T>(code: RefusalCode, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof WireFormatError || error instanceof Error)
      throw new RefusedError(code, error.message.slice(0, 300));
    throw error;
  }
}

/** The extra fields of a LOG_MISMATCH refusal: the follower's tip and finalized index. */
export function mismatchDetails(tip: LogTip, finalized: bigint): Record<string, unknown> {
  return { tip: logTipToJson(tip), finalized: finalized.toString() };
}

export function mismatchFromBody(
  body: Record<string, unknown> | undefined,
): { tip: LogTip; finalized: bigint } | undefined {
  try {
    const finalized = body?.finalized;
    if (typeof finalized !== "string" || !/^(0|[1-9][0-9]*)$/.test(finalized)) return undefined;
    return { tip: logTipFromJson(body?.tip, "tip"), finalized: BigInt(finalized) };
  } catch {
    return undefined;
  }
}
