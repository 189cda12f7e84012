import type { G1Point } from "@avskit/bls";
import {
  type Certificate,
  leaderOf,
  type Member,
  type RoundReply,
  type RoundRequest,
  signVote,
  verifyTipStatement,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import type { AppLog } from "./app-log.js";
import { RefusedError } from "./errors.js";
import type { SequencerNode } from "./node.js";
import { mismatchDetails } from "./wire.js";

/**
 * A follower's answer to `POST /v1/peer/round` (PROTOCOL.md "Rounds"): only in its own term and
 * from that term's leader; appends only at its tip and never an id twice; signs a lock only on
 * its own chain hash, and a finalize only on a lock certificate it verified and stored first.
 */
export async function handleRound(
  node: SequencerNode,
  from: Member,
  round: RoundRequest,
): Promise<RoundReply> {
  const term = node.term;
  if (round.term < term)
    throw new RefusedError("STALE_TERM", `this node is in term ${term}, the round is of term ${round.term}`, {
      term: term.toString(),
    });
  if (round.term > term) {
    node.viewChange.needNewView(from, round.term);
    throw new RefusedError("NEED_NEW_VIEW", `this node has not seen the new view of term ${round.term} yet`, {
      term: term.toString(),
    });
  }
  const leader = leaderOf(node.network, term);
  if (from.operatorId !== leader.operatorId)
    throw new RefusedError(
      "NOT_LEADER",
      `${from.operatorId} does not lead term ${term} (${leader.operatorId} does)`,
    );
  const st = round.statement;
  if (!st || st.term !== term || st.app !== round.app || !verifyTipStatement(node.network, st))
    throw new RefusedError(
      "BAD_STATEMENT",
      "the round's tip statement is missing or not signed by the leader",
    );
  node.viewChange.noteStatement(st);
  // The leader is alive from the moment its valid round arrives, however long this log takes to apply it.
  node.noteLeaderAlive();

  return node.withApp(round.app, async () => {
    if (node.term !== term) throw new RefusedError("STALE_TERM", `the term moved to ${node.term}`);
    const log = node.logOf(round.app);
    const tip = log.tip;
    if (BigInt(tip.index) !== round.prevIndex || tip.chainHash !== round.prevHash) {
      node.noteMismatch(round.app);
      throw new RefusedError(
        "LOG_MISMATCH",
        `this log ends at ${tip.index}, the round continues ${round.prevIndex}`,
        mismatchDetails({ index: BigInt(tip.index), chainHash: tip.chainHash }, BigInt(log.finalizedIndex)),
      );
    }
    const seen = new Set<Hex>();
    for (const e of round.entries) {
      if (log.has(e.id) || seen.has(e.id))
        throw new RefusedError("DUPLICATE_ID", `id ${e.id} is already in the log of ${round.app}`);
      seen.add(e.id);
    }
    const added = log.chainOf(round.entries);
    const newTipIndex = tip.index + added.length;
    const hashAt = (index: number): Hex | undefined =>
      index <= tip.index ? log.hashAt(index) : added[index - tip.index - 1]?.chainHash;
    if (st.index === BigInt(newTipIndex) && st.chainHash !== hashAt(newTipIndex)) {
      // The leader signed a tip other than what its entries make: a proof against it.
      throw new RefusedError("BAD_STATEMENT", "the tip statement does not match the round's entries");
    }

    const onChain = (c: Certificate) => c.app === round.app && hashAt(Number(c.index)) === c.chainHash;
    const lockCert = round.lockCertificate;
    const fin = round.finality;
    // Both pairing checks at once (on two workers when there are two).
    const [lockChecked, finChecked] = await Promise.all([
      lockCert !== undefined && lockCert.kind === "lock" && onChain(lockCert)
        ? node.verifier.checkCertificate(lockCert)
        : false,
      fin !== undefined && fin.kind === "finalize" && Number(fin.index) > log.finalizedIndex && onChain(fin)
        ? node.verifier.checkCertificate(fin)
        : false,
    ]);
    const lockOk = lockChecked && lockCert !== undefined;
    const finOk = finChecked && fin !== undefined;
    if (node.term !== term) throw new RefusedError("STALE_TERM", `the term moved to ${node.term}`);

    const previous = log.finalizedIndex;
    node.store.transaction(() => {
      log.append(added);
      if (lockOk) log.setLock(lockCert);
      if (finOk) log.addFinality(fin);
    });
    if (added.length > 0) node.onSequenced(round.app, added.length);

    const { blsSecretKey } = node.keys;
    const snapshotId = node.network.snapshotId;
    // Once this node has voted to leave the term, it signs nothing more in it: its vote reported
    // its lock, and a certificate made after the vote could reach beyond what the new view keeps
    // (PROTOCOL.md "Fault model": the signers of a finality proof stored its lock before voting).
    const mayVote = node.viewChange.votedTerm <= term;
    let lockSignature: G1Point | undefined;
    const req = round.lockRequest;
    if (
      mayVote &&
      req.index <= BigInt(newTipIndex) &&
      hashAt(Number(req.index)) === req.chainHash &&
      !alreadyLocked(log, term, req.index, req.chainHash)
    ) {
      lockSignature = signVote(
        blsSecretKey,
        "lock",
        { app: round.app, term, index: req.index, chainHash: req.chainHash },
        snapshotId,
      );
    }
    let finalizeSignature: G1Point | undefined;
    // Also at or below this node's own finalized index: a leader that missed a finality
    // certificate (it led a new term from a lock it fetched) asks again for what is final here,
    // and without these votes it would stay behind until the next batch. The lock is verified and
    // on this log's chain, so the vote says nothing this node's log does not.
    if (mayVote && lockOk) {
      finalizeSignature = signVote(
        blsSecretKey,
        "finalize",
        { app: lockCert.app, term: lockCert.term, index: lockCert.index, chainHash: lockCert.chainHash },
        snapshotId,
      );
    }
    // Behind by less than a few rounds of entries counts as in sync (a busy leader is always a little ahead).
    node.noteRound(round.app, st.index - BigInt(newTipIndex) <= 1_000n);
    if (finOk) node.onFinalized(round.app, previous);
    return {
      tip: { index: BigInt(newTipIndex), chainHash: hashAt(newTipIndex)! },
      ...(lockSignature ? { lockSignature } : {}),
      ...(finalizeSignature ? { finalizeSignature } : {}),
    };
  });
}

/** The follower holds a lock on exactly this point of this term: the leader has it too (it made it). */
function alreadyLocked(log: AppLog, term: bigint, index: bigint, chainHash: Hex): boolean {
  const lock = log.lock;
  return lock !== null && lock.term === term && lock.index === index && lock.chainHash === chainHash;
}
