import { type Hex, hexToBytes } from "viem";
import { checkCertificate } from "./certificate.js";
import type { CertificateRejection } from "./errors.js";
import { genesisHash, nextChainHash } from "./log.js";
import type { Network } from "./network.js";
import type { FinalizedPage } from "./wire.js";

export type PageRejection =
  /** The page, or its certificate, is of another app. */
  | "APP_MISMATCH"
  /** prevChainHash is not the hash the reader knows at `after` (genesis for 0). */
  | "PREV_HASH_MISMATCH"
  /** Batch indexes are not after + 1, after + 2, … up to the certificate's index. */
  | "NOT_CONTIGUOUS"
  /** Batches without a finality certificate, or a certificate that is a lock. */
  | "NOT_FINAL"
  /** The chain recomputed from prevChainHash over the batches is not the certificate's. */
  | "CHAIN_MISMATCH"
  | CertificateRejection;

/**
 * What a reader checks of a page of final batches before it believes a byte of it: it starts
 * where the reader's chain is (`knownPrevHash`, the hash it verified at `after`; genesis for 0),
 * the batches are exactly (after, finality.index], their chain ends in finality.chainHash, and
 * finality is a valid finalize certificate for `network`. An empty page with no finality is
 * valid (nothing new is final).
 */
export function checkFinalizedPage(
  network: Network,
  page: FinalizedPage,
  knownPrevHash?: Hex,
): { ok: true } | { ok: false; reason: PageRejection } {
  const expectedPrev = knownPrevHash ?? (page.after === 0n ? genesisHash(page.app) : undefined);
  if (expectedPrev !== undefined && expectedPrev.toLowerCase() !== page.prevChainHash.toLowerCase()) {
    return { ok: false, reason: "PREV_HASH_MISMATCH" };
  }
  const cert = page.finality;
  if (cert === null) return page.batches.length === 0 ? { ok: true } : { ok: false, reason: "NOT_FINAL" };
  if (cert.app !== page.app) return { ok: false, reason: "APP_MISMATCH" };
  if (cert.kind !== "finalize") return { ok: false, reason: "NOT_FINAL" };
  if (cert.index - page.after !== BigInt(page.batches.length)) return { ok: false, reason: "NOT_CONTIGUOUS" };
  let hash = page.prevChainHash;
  for (const [i, batch] of page.batches.entries()) {
    if (batch.index !== page.after + BigInt(i) + 1n) return { ok: false, reason: "NOT_CONTIGUOUS" };
    hash = nextChainHash(hash, hexToBytes(batch.id), batch.body);
  }
  if (hash.toLowerCase() !== cert.chainHash.toLowerCase()) return { ok: false, reason: "CHAIN_MISMATCH" };
  const check = checkCertificate(network, cert);
  return check.ok ? { ok: true } : { ok: false, reason: check.reason };
}
