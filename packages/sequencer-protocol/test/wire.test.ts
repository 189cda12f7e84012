import { G1, type G1Point } from "@avskit/bls";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import {
  buildCertificate,
  type Certificate,
  checkCertificate,
  signVote,
  type VotePoint,
} from "../src/certificate.js";
import { WireFormatError } from "../src/errors.js";
import { genesisHash } from "../src/log.js";
import { signTipStatement, signViewChangeVote } from "../src/statements.js";
import {
  batchStatusFromJson,
  batchStatusToJson,
  certificateFromJson,
  certificateToJson,
  finalizedPageFromJson,
  finalizedPageToJson,
  finalizedTipFromJson,
  forwardRequestFromJson,
  forwardRequestToJson,
  newViewFromJson,
  newViewToJson,
  nodeStateFromJson,
  nodeStateToJson,
  roundReplyFromJson,
  roundReplyToJson,
  roundRequestFromJson,
  roundRequestToJson,
  submitBatchesRequestFromJson,
  submitBatchesRequestToJson,
  submitBatchesResponseFromJson,
  tipStatementFromJson,
  tipStatementToJson,
  viewChangeVoteFromJson,
  viewChangeVoteToJson,
} from "../src/wire.js";
import { BIG, MEMBERS, NETWORK } from "./support.js";

const point: VotePoint = { app: "app-1", term: 2n, index: 3n, chainHash: genesisHash("app-1") };
const built: Certificate = buildCertificate(
  NETWORK,
  "lock",
  point,
  new Map<Hex, G1Point>(
    MEMBERS.slice(0, 3).map((m) => [
      m.operatorId,
      signVote(m.bls.secretKey, "lock", point, NETWORK.snapshotId),
    ]),
  ),
)!;
// Points compare by coordinates in toEqual: one affine copy (Z = 1), as decoding gives.
const cert = certificateFromJson(certificateToJson(built));
const id: Hex = `0x${"0a".repeat(16)}`;

/** Through JSON text, as on the wire. */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WireFormatError);
    return (error as WireFormatError).field;
  }
  throw new Error("expected a WireFormatError");
}

describe("wire codecs", () => {
  it("round-trips a certificate that still verifies", () => {
    const json = certificateToJson(cert);
    expect(json.term).toBe("2");
    const back = certificateFromJson(wire(json));
    expect(back).toEqual({ ...cert, nonSigners: [...cert.nonSigners] });
    expect(back.signature.equals(built.signature)).toBe(true);
    expect(checkCertificate(NETWORK, back)).toEqual({ ok: true });
  });

  it("names the bad field of a certificate", () => {
    const json = certificateToJson(cert);
    expect(fieldOf(() => certificateFromJson({ ...json, term: 2 }))).toBe("term");
    expect(fieldOf(() => certificateFromJson({ ...json, term: "18446744073709551616" }))).toBe("term");
    expect(fieldOf(() => certificateFromJson({ ...json, kind: "commit" }))).toBe("kind");
    expect(fieldOf(() => certificateFromJson({ ...json, app: "Bad" }))).toBe("app");
    expect(fieldOf(() => certificateFromJson({ ...json, nonSigners: ["0x12"] }))).toBe("nonSigners[0]");
    expect(fieldOf(() => certificateFromJson({ ...json, signature: { X: "1", Y: "3" } }))).toBe("signature");
    expect(fieldOf(() => certificateFromJson({ ...json, signature: { X: "1" } }))).toBe("signature.Y");
    expect(fieldOf(() => certificateFromJson(null))).toBe("");
  });

  it("round-trips statements and view-change votes", () => {
    const st = signTipStatement(BIG.privateKey, NETWORK.snapshotId, {
      term: 1n,
      app: "a",
      index: 0n,
      chainHash: genesisHash("a"),
    });
    expect(tipStatementFromJson(wire(tipStatementToJson(st)))).toEqual(st);
    const vote = signViewChangeVote(BIG.privateKey, NETWORK, BIG.operatorId, 3n, { "app-1": cert, b: null });
    const back = viewChangeVoteFromJson(wire(viewChangeVoteToJson(vote)));
    expect(back.locks["app-1"]).toEqual({ ...cert, nonSigners: [...cert.nonSigners] });
    expect(back.locks.b).toBeNull();
    expect(back.signature).toBe(vote.signature);
    const badLock = {
      ...viewChangeVoteToJson(vote),
      locks: { "app-1": { ...certificateToJson(cert), index: "x" } },
    };
    expect(fieldOf(() => viewChangeVoteFromJson(badLock))).toBe("locks.app-1.index");
    const view = newViewToJson({ term: 3n, votes: [vote], base: { "app-1": cert } });
    expect(newViewFromJson(wire(view)).votes[0]!.signature).toBe(vote.signature);
    expect(fieldOf(() => newViewFromJson({ ...view, votes: [{ ...view.votes[0], from: "0x" }] }))).toBe(
      "votes[0].from",
    );
  });

  it("round-trips the client bodies; bodies are base64", () => {
    const body = new Uint8Array([0, 1, 2, 250, 255]);
    const request = submitBatchesRequestToJson({ batches: [{ id, body }, { body: new Uint8Array(0) }] });
    expect(request.batches[0]!.body).toBe("AAEC+v8=");
    expect(submitBatchesRequestFromJson(wire(request))).toEqual({
      batches: [{ id, body }, { body: new Uint8Array(0) }],
    });
    expect(fieldOf(() => submitBatchesRequestFromJson({ batches: [{ body: "!!" }] }))).toBe(
      "batches[0].body",
    );
    expect(fieldOf(() => submitBatchesRequestFromJson({ batches: [{ id: "0x00", body: "" }] }))).toBe(
      "batches[0].id",
    );
    expect(submitBatchesResponseFromJson({ ids: [id.toUpperCase().replace("0X", "0x")] })).toEqual({
      ids: [id],
    });

    const page = {
      app: "app-1",
      after: 0n,
      prevChainHash: genesisHash("app-1"),
      batches: [{ index: 1n, id, body }],
      finality: cert,
      lastFinalized: 3n,
    };
    const pageBack = finalizedPageFromJson(wire(finalizedPageToJson(page)));
    expect(pageBack).toEqual({ ...page, finality: { ...cert, nonSigners: [...cert.nonSigners] } });
    const empty = finalizedPageToJson({ ...page, batches: [], finality: null });
    expect(finalizedPageFromJson(wire(empty)).finality).toBeNull();
    const { finality: _f, ...noFinality } = empty;
    expect(fieldOf(() => finalizedPageFromJson(noFinality))).toBe("finality");
    expect(fieldOf(() => finalizedPageFromJson({ ...empty, finality: { kind: "lock" } }))).toBe(
      "finality.app",
    );

    expect(batchStatusFromJson(wire(batchStatusToJson({ id, state: "finalized", index: 9n })))).toEqual({
      id,
      state: "finalized",
      index: 9n,
    });
    expect(fieldOf(() => batchStatusFromJson({ id, state: "lost" }))).toBe("state");
    expect(
      finalizedTipFromJson({ index: "0", chainHash: genesisHash("x"), finality: null }).finality,
    ).toBeNull();

    const state = {
      node: BIG.operatorId,
      term: 7n,
      leader: BIG.operatorId,
      ready: true,
      snapshotId: NETWORK.snapshotId,
      apps: { "app-1": { sequenced: 5n, locked: 4n, finalized: 3n } },
    };
    expect(nodeStateFromJson(wire(nodeStateToJson(state)))).toEqual(state);
    expect(fieldOf(() => nodeStateFromJson({ ...nodeStateToJson(state), apps: { Bad: {} } }))).toBe(
      "apps.Bad",
    );
  });

  it("round-trips the peer bodies", () => {
    const body = new Uint8Array([7, 7]);
    const round = {
      app: "app-1",
      term: 2n,
      prevIndex: 2n,
      prevHash: genesisHash("app-1"),
      entries: [{ id, body }],
      lockRequest: { index: 3n, chainHash: genesisHash("app-1") },
      finality: cert,
    };
    const back = roundRequestFromJson(wire(roundRequestToJson(round)));
    expect(back).toEqual({ ...round, finality: { ...cert, nonSigners: [...cert.nonSigners] } });
    expect(back.lockCertificate).toBeUndefined();
    const reply = { tip: { index: 3n, chainHash: genesisHash("app-1") }, lockSignature: G1.BASE };
    const replyBack = roundReplyFromJson(wire(roundReplyToJson(reply)));
    expect(replyBack.lockSignature!.equals(G1.BASE)).toBe(true);
    expect(replyBack.finalizeSignature).toBeUndefined();
    const forward = { batches: [{ app: "app-1", id, body }] };
    expect(forwardRequestFromJson(wire(forwardRequestToJson(forward)))).toEqual(forward);
  });
});
