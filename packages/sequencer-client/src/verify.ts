import {
  type Certificate,
  checkCertificate,
  type FinalizedPage,
  genesisHash,
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
 * Checks one page of `GET /v1/apps/:app/batches?after=N` before anything of it is believed:
 * - it is the page asked for (app, after);
 * - it starts from the hash the reader knows for N (`knownPrev`): genesisHash(app) for 0, the
 *   caller's saved hash, or the one computed for the previous page. Without one (resuming at N > 0
 *   with no saved hash) the node's `prevChainHash` is taken as given: the batches are still
 *   bound to the certified hash below, since no other (prev, entries) reach it without a keccak
 *   collision, but whether the log before N+1 is the one the caller saw before is not checked;
 * - the batches are N+1, N+2, … and the finality certificate is at the last of them;
 * - the chaining hash recomputed over them ends exactly at the certified hash;
 * - the certificate is valid for the network: snapshot, members, stake threshold, signature.
 * The pairing is last, so forged pages cost the reader hashing only, until one is well-formed.
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
  const expectedPrev = after === 0n ? genesisHash(app) : knownPrev;
  if (expectedPrev !== undefined && !sameHash(page.prevChainHash, expectedPrev)) {
    return fail("PREV_HASH_MISMATCH", `h_${after} is ${expectedPrev}, the page says ${page.prevChainHash}`);
  }
  if (page.batches.length === 0) return { ok: true, batches: [] };
  const finality = page.finality;
  if (finality === null) return fail("MISSING_FINALITY", "batches without a finality certificate");
  const wrongCertificate = certificateMismatch(finality, app);
  if (wrongCertificate !== undefined) return fail("MISSING_FINALITY", wrongCertificate);

  const batches: VerifiedBatch[] = [];
  let hash = page.prevChainHash;
  let expectedIndex = after + 1n;
  for (const batch of page.batches) {
    if (batch.index !== expectedIndex) {
      return fail("INDEX_GAP", `expected batch ${expectedIndex}, got ${batch.index}`);
    }
    hash = nextChainHash(hash, hexToBytes(batch.id), batch.body);
    batches.push({ index: batch.index, id: batch.id, body: batch.body, chainHash: hash });
    expectedIndex += 1n;
  }
  const last = expectedIndex - 1n;
  if (finality.index !== last) {
    return fail("INDEX_GAP", `the page ends at ${last}, its certificate is at ${finality.index}`);
  }
  if (!sameHash(hash, finality.chainHash)) {
    return fail(
      "CHAIN_MISMATCH",
      `the batches chain to ${hash} at ${last}, certified is ${finality.chainHash}`,
    );
  }
  const certificate = checkCertificate(network, finality);
  if (!certificate.ok) return fail(certificate.reason, `finality certificate at ${finality.index}`);
  return { ok: true, batches };
}

/** Why a certificate cannot be the finality proof of `app` (kind, app), if it cannot. */
export function certificateMismatch(certificate: Certificate, app: string): string | undefined {
  if (certificate.kind !== "finalize") return `a ${certificate.kind} certificate is no finality proof`;
  if (certificate.app !== app) return `the certificate is for app ${certificate.app}`;
  return undefined;
}

export function sameHash(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function fail(reason: VerificationReason, detail: string): PageCheck {
  return { ok: false, reason, detail };
}
