import { generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import {
  genesisHash,
  PEER_HEADERS,
  PeerSigner,
  peerRequestDigest,
  roundRequestToJson,
  signRawDigest,
  signTipStatement,
} from "@avskit/sequencer-protocol";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, makeCluster, until } from "./cluster.js";

describe("peer routes", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await makeCluster(4);
    await Promise.all([0, 1, 2, 3].map((i) => cluster.start(i)));
    await until("node 1 ready", () => cluster.nodes[1]!.handle.node.ready || undefined);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const roundFrom = (i: number) => {
    const key = cluster.keys[i]!;
    const statement = signTipStatement(key.ecdsa, cluster.network.snapshotId, {
      term: 1n,
      app: "x",
      index: 0n,
      chainHash: genesisHash("x"),
    });
    return JSON.stringify(
      roundRequestToJson({
        app: "x",
        term: 1n,
        prevIndex: 0n,
        prevHash: genesisHash("x"),
        entries: [],
        lockRequest: { index: 0n, chainHash: genesisHash("x") },
        statement,
      }),
    );
  };
  const send = (headers: Record<string, string>, body: string, to = 1) =>
    fetch(new URL("/v1/peer/round", cluster.keys[to]!.url), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const signed = (from: number, body: string, to = 1) =>
    new PeerSigner(
      cluster.keys[from]!.ecdsa,
      cluster.network,
      cluster.network.members[from]!.operatorId,
    ).headers(cluster.network.members[to]!.operatorId, "POST", "/v1/peer/round", body);

  it("refuses a request without the peer headers", async () => {
    const res = await send({}, roundFrom(0));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("UNAUTHENTICATED");
  });

  it("refuses a sender that is not a member", async () => {
    const outsider = operatorIdFromPublicKey(generateKeyPair().publicKeyG1);
    const body = roundFrom(0);
    const seq = BigInt(Date.now()) * 1000n;
    const digest = peerRequestDigest(
      cluster.network.snapshotId,
      cluster.network.members[1]!.operatorId,
      seq,
      "POST",
      "/v1/peer/round",
      body,
    );
    const headers = {
      [PEER_HEADERS.from]: outsider,
      [PEER_HEADERS.seq]: seq.toString(),
      [PEER_HEADERS.signature]: signRawDigest(generatePrivateKey(), digest),
      [PEER_HEADERS.snapshot]: cluster.network.snapshotId,
    };
    const res = await send(headers, body);
    expect(((await res.json()) as { code: string }).code).toBe("NOT_A_MEMBER");
    // Signed under an operator set the node does not know: refused before any membership question.
    const elsewhere = await send({ ...headers, [PEER_HEADERS.snapshot]: `0x${"ab".repeat(32)}` }, body);
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { code: string }).code).toBe("UNKNOWN_SNAPSHOT");
  });

  it("refuses a signature by another key, and a replayed request", async () => {
    const body = roundFrom(0);
    const headers = signed(0, body);
    const forged = { ...headers, "x-avskit-from": cluster.network.members[2]!.operatorId };
    expect(((await (await send(forged, body)).json()) as { code: string }).code).toBe("BAD_PEER_SIGNATURE");
    expect((await send(headers, body)).status).toBe(200);
    const replay = await send(headers, body);
    expect(((await replay.json()) as { code: string }).code).toBe("REPLAYED_PEER_REQUEST");
  });

  it("refuses a round from a member that does not lead the term", async () => {
    const body = roundFrom(2);
    const res = await send(signed(2, body), body);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("NOT_LEADER");
  });

  it("answers a round that does not continue the follower's log with its tip", async () => {
    const key = cluster.keys[0]!;
    const statement = signTipStatement(key.ecdsa, cluster.network.snapshotId, {
      term: 1n,
      app: "x",
      index: 5n,
      chainHash: `0x${"11".repeat(32)}`,
    });
    const body = JSON.stringify(
      roundRequestToJson({
        app: "x",
        term: 1n,
        prevIndex: 4n,
        prevHash: `0x${"22".repeat(32)}`,
        entries: [],
        lockRequest: { index: 5n, chainHash: `0x${"11".repeat(32)}` },
        statement,
      }),
    );
    const res = await send(signed(0, body, 3), body, 3);
    expect(res.status).toBe(409);
    const reply = (await res.json()) as { code: string; tip: { index: string } };
    expect(reply.code).toBe("LOG_MISMATCH");
    expect(reply.tip.index).toBe("0");
  });
});
