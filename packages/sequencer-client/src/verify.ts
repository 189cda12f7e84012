import {
  type Certificate,
  checkFinalizedPage,
  type FinalizedPage,
  type Network,
  nextChainHash,
} from "@avskit/sequencer-protocol";
import { type Hex, hexToBytes } from "viem";
import type { VerificationReason } from "./errors.js";

/** One finalized batch, checked: its place in the log and the chaining hash through it. */
export interface VerifiedBatch {
  readonly index: bigint;
  readonly id: Hex;
  readonly body: Uint8Array;
  /** h_index: save it with `index` to resume with `batches({ after: index, chainHash })`. */
  readonly chainHash: Hex;
}

export type PageCheck =
  | { readonly ok: true; readonly batches: readonly VerifiedBatch[] }
  | { readonly ok: false; readonly reason: VerificationReason; readonly detail: string };

/**
 * Checks one page of `GET /v1/apps/:app/batches?after=N` before anything of it is believed: it
 * is the page asked for (app, after), then the library's checkFinalizedPage: it starts from the
 * hash the reader knows for N (`knownPrev`: genesisHash(app) for 0, the caller's saved hash, or
 * the one computed through the previous page), the batches are N+1, N+2, … up to the finality
 * certificate's index, the chain recomputed over them ends exactly at the certified hash, and the
 * certificate is valid for the network (snapshot, members, stake threshold, signature).
 *
 * Without `knownPrev` (resuming at N > 0 with no saved hash) the node's `prevChainHash` is taken
 * as given: the batches are still bound to the certified hash, since no other (prev, entries)
 * reach it without a keccak collision, but whether the log up to N is the one the caller saw
 * before is not checked. An empty page is not checked at all: nothing of it is believed, and a
 * node that lags behind N cannot know h_N.
 */
export function checkPage(
  network: Network,
  app: string,
  after: bigint,
  knownPrev: Hex | undefined,
  page: FinalizedPage,
): PageCheck {
  if (page.app !== app || page.after !== after) {
    return fail("WRONG_PAGE", `asked for ${app} after ${after}, got ${page.app} after ${page.after}`);
  }
  if (page.batches.length === 0) return { ok: true, batches: [] };
  const check = checkFinalizedPage(network, page, knownPrev);
  if (!check.ok) return fail(check.reason, describe(check.reason, page, knownPrev));
  // Verified: the hashes through each batch are what the app saves to resume from.
  const batches: VerifiedBatch[] = [];
  let hash = page.prevChainHash;
  for (const batch of page.batches) {
    hash = nextChainHash(hash, hexToBytes(batch.id), batch.body);
    batches.push({ index: batch.index, id: batch.id, body: batch.body, chainHash: hash });
  }
  return { ok: true, batches };
}

/** Why a certificate cannot be the finality proof of `app` at (index, chainHash), if it cannot. */
export function tipMismatch(
  certificate: Certificate,
  app: string,
  index: bigint,
  chainHash: Hex,
): { reason: VerificationReason; detail: string } | undefined {
  if (certificate.app !== app)
    return { reason: "APP_MISMATCH", detail: `a certificate of app ${certificate.app}` };
  if (certificate.kind !== "finalize")
    return { reason: "NOT_FINAL", detail: "a lock certificate is no finality proof" };
  if (certificate.index !== index || !sameHash(certificate.chainHash, chainHash)) {
    return {
      reason: "CHAIN_MISMATCH",
      detail: `says ${index}/${chainHash}, its certificate is for ${certificate.index}/${certificate.chainHash}`,
    };
  }
  return undefined;
}

export function sameHash(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function describe(reason: VerificationReason, page: FinalizedPage, knownPrev: Hex | undefined): string {
  const first = page.batches[0]?.index;
  const last = page.batches.at(-1)?.index;
  const certified = page.finality
    ? `${page.finality.kind} certificate at ${page.finality.index}`
    : "no certificate";
  if (reason === "PREV_HASH_MISMATCH")
    return `h_${page.after} is ${knownPrev}, the page says ${page.prevChainHash}`;
  return `batches ${first}..${last} after ${page.after}, ${certified}`;
}

function fail(reason: VerificationReason, detail: string): PageCheck {
  return { ok: false, reason, detail };
}
