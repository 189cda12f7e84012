import { type Hex, recoverAddress } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { PEER_HEADERS, PeerSigner, PeerVerifier, peerRequestDigest } from "../src/auth.js";
import { recoverRawDigest, signRawDigest } from "../src/ecdsa.js";
import { NetworkError } from "../src/errors.js";
import { BIG, MEMBERS, NETWORK, SMALL, testMember } from "./support.js";

const sender = SMALL[0]!;
const receiver = BIG;
const body = JSON.stringify({ hello: "world" });

function setup(now = Date.now()) {
  let clock = now;
  const signer = new PeerSigner(sender.privateKey, NETWORK, sender.operatorId);
  const verifier = new PeerVerifier(NETWORK, receiver.operatorId, { now: () => clock });
  return { signer, verifier, setClock: (t: number) => (clock = t) };
}

describe("raw-digest ECDSA", () => {
  it("matches viem's sign and recoverAddress", async () => {
    const digest: Hex = `0x${"42".repeat(32)}`;
    const ours = signRawDigest(sender.privateKey, digest);
    expect(ours).toBe(await sign({ hash: digest, privateKey: sender.privateKey, to: "hex" }));
    expect(await recoverAddress({ hash: digest, signature: ours })).toBe(sender.address);
    expect(recoverRawDigest(digest, ours)).toBe(privateKeyToAccount(sender.privateKey).address);
    expect(recoverRawDigest(digest, "0x1234")).toBeUndefined();
  });
});

describe("peer authentication", () => {
  it("accepts a signed request once, from the member", () => {
    const { signer, verifier } = setup();
    const headers = signer.headers(receiver.operatorId, "POST", "/v1/peer/round", body);
    expect(Object.keys(headers).sort()).toEqual(Object.values(PEER_HEADERS).sort());
    const check = verifier.verify(headers, "post", "/v1/peer/round", body);
    expect(check.ok && check.member.operatorId).toBe(sender.operatorId);
    expect(verifier.verify(headers, "POST", "/v1/peer/round", body)).toEqual({
      ok: false,
      code: "REPLAYED_PEER_REQUEST",
    });
    // The next request of the same signer is fresh again, even within one millisecond.
    const next = signer.headers(receiver.operatorId, "POST", "/v1/peer/round", body);
    expect(BigInt(next[PEER_HEADERS.seq]!)).toBeGreaterThan(BigInt(headers[PEER_HEADERS.seq]!));
    expect(verifier.verify(next, "POST", "/v1/peer/round", new TextEncoder().encode(body)).ok).toBe(true);
  });

  it("refuses a tampered body, path, method, receiver or seq", () => {
    const { signer, verifier } = setup();
    const headers = signer.headers(receiver.operatorId, "POST", "/v1/peer/round", body);
    const bad = { ok: false, code: "BAD_PEER_SIGNATURE" };
    expect(verifier.verify(headers, "POST", "/v1/peer/round", `${body} `)).toEqual(bad);
    expect(verifier.verify(headers, "POST", "/v1/peer/status", body)).toEqual(bad);
    expect(verifier.verify(headers, "PUT", "/v1/peer/round", body)).toEqual(bad);
    const seq = (BigInt(headers[PEER_HEADERS.seq]!) + 1n).toString();
    expect(verifier.verify({ ...headers, [PEER_HEADERS.seq]: seq }, "POST", "/v1/peer/round", body)).toEqual(
      bad,
    );
    const other = new PeerVerifier(NETWORK, SMALL[1]!.operatorId);
    expect(other.verify(headers, "POST", "/v1/peer/round", body)).toEqual(bad);
    // Still good for its real receiver: refusals do not consume the seq.
    expect(verifier.verify(headers, "POST", "/v1/peer/round", body).ok).toBe(true);
  });

  it("refuses a signature by another key than the member's", () => {
    const { verifier } = setup();
    const impostor = new PeerSigner(SMALL[1]!.privateKey, NETWORK, SMALL[1]!.operatorId);
    const headers = impostor.headers(receiver.operatorId, "POST", "/v1/peer/round", body);
    // Claims to be `sender`, signed by SMALL[1].
    const claimed = { ...headers, [PEER_HEADERS.from]: sender.operatorId };
    expect(verifier.verify(claimed, "POST", "/v1/peer/round", body)).toEqual({
      ok: false,
      code: "BAD_PEER_SIGNATURE",
    });
  });

  it("refuses a non-member and missing or malformed headers", () => {
    const { signer, verifier } = setup();
    const headers = signer.headers(receiver.operatorId, "POST", "/p", body);
    const stranger = testMember(9, 1n);
    expect(
      verifier.verify({ ...headers, [PEER_HEADERS.from]: stranger.operatorId }, "POST", "/p", body),
    ).toEqual({
      ok: false,
      code: "NOT_A_MEMBER",
    });
    for (const name of Object.values(PEER_HEADERS)) {
      const { [name]: _dropped, ...rest } = headers;
      expect(verifier.verify(rest, "POST", "/p", body)).toEqual({ ok: false, code: "UNAUTHENTICATED" });
    }
    const bad = { ok: false, code: "UNAUTHENTICATED" };
    expect(verifier.verify({ ...headers, [PEER_HEADERS.seq]: "12a" }, "POST", "/p", body)).toEqual(bad);
    expect(
      verifier.verify({ ...headers, [PEER_HEADERS.seq]: "99999999999999999999" }, "POST", "/p", body),
    ).toEqual(bad);
    expect(verifier.verify({ ...headers, [PEER_HEADERS.signature]: "0x00" }, "POST", "/p", body)).toEqual(
      bad,
    );
    expect(verifier.verify({ ...headers, [PEER_HEADERS.from]: "0x12" }, "POST", "/p", body)).toEqual(bad);
    const repeated = { ...headers, [PEER_HEADERS.seq]: [headers[PEER_HEADERS.seq]!, "1"] };
    expect(verifier.verify(repeated, "POST", "/p", body)).toEqual(bad);
  });

  it("refuses a request more than 30 s from the clock, either way", () => {
    const start = Date.now();
    const { signer, verifier, setClock } = setup(start);
    const headers = signer.headers(receiver.operatorId, "POST", "/p", body);
    setClock(start + 31_000);
    expect(verifier.verify(headers, "POST", "/p", body)).toEqual({ ok: false, code: "STALE_PEER_REQUEST" });
    setClock(start - 31_000);
    expect(verifier.verify(headers, "POST", "/p", body)).toEqual({ ok: false, code: "STALE_PEER_REQUEST" });
    setClock(start + 29_000);
    expect(verifier.verify(headers, "POST", "/p", body).ok).toBe(true);
    expect(verifier.verify(headers, "POST", "/p", body)).toEqual({
      ok: false,
      code: "REPLAYED_PEER_REQUEST",
    });
    // Long after, a replay is refused as stale (its seq has left the window the verifier keeps).
    setClock(start + 120_000);
    expect(verifier.verify(headers, "POST", "/p", body)).toEqual({ ok: false, code: "STALE_PEER_REQUEST" });
  });

  it("digest binds the snapshot, and a signer needs its registered key", () => {
    const a = peerRequestDigest(NETWORK.snapshotId, receiver.operatorId, 1n, "POST", "/p", "x");
    const b = peerRequestDigest(`0x${"00".repeat(32)}`, receiver.operatorId, 1n, "POST", "/p", "x");
    expect(a).not.toBe(b);
    expect(() => new PeerSigner(MEMBERS[2]!.privateKey, NETWORK, sender.operatorId)).toThrow(NetworkError);
    expect(() => new PeerSigner(sender.privateKey, NETWORK, testMember(9, 1n).operatorId)).toThrow(
      NetworkError,
    );
  });
});
