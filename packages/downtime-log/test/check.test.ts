import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, verifySignature } from "@avskit/bls";
import { g1FromJson, type Network } from "@avskit/sequencer-protocol";
import { afterEach, describe, expect, it } from "vitest";
import {
  answerReport,
  buildEvent,
  type CheckContext,
  DEFAULT_EPOCHS,
  DowntimeDb,
  type DowntimeEvent,
  decide,
  epochOf,
  epochSummary,
  operatorEpoch,
  reportDigest,
  type Statement,
  signStatement,
  staticSource,
  verifyStatementShare,
} from "../src/index.js";
import { signedEvent, testNetwork } from "./support.js";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const epochs = DEFAULT_EPOCHS;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A replica's checks over a fresh database, its clock fixed at `now`. */
function replica(network: Network, now = T0 + 60_000) {
  const dir = mkdtempSync(join(tmpdir(), "downtime-check-"));
  dirs.push(dir);
  const db = DowntimeDb.open(dir);
  db.seedOperators(network.members);
  const ctx: CheckContext = {
    networks: staticSource(network),
    db,
    epochs,
    maxSkewMs: 30_000,
    now: () => now,
  };
  let index = 0;
  const feed = async (body: string | Uint8Array) => {
    index++;
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const decision = await decide(ctx, index, bytes);
    const hash = `0x${index.toString(16).padStart(64, "0")}` as const;
    if (decision.apply) db.applyEvent(decision.row, hash, decision.operators);
    else db.refuse({ index, reason: decision.reason, detail: decision.detail }, hash);
    return decision.apply ? "APPLIED" : decision.reason;
  };
  return { db, feed, ctx };
}

const statement = (subject: `0x${string}`, state: "up" | "down", observedAt: number): Statement => ({
  subject,
  state,
  observedAt,
  epoch: epochOf(epochs, observedAt),
});

describe("a replica's checks", () => {
  const { network, members } = testNetwork([1n, 1n, 1n, 1n]);
  const [a, b, c, d] = members;
  const json = (event: DowntimeEvent) => JSON.stringify(event);

  it("applies a change signed by stake over the threshold, and refuses each forgery with its reason", async () => {
    const { feed, db } = replica(network);
    const down = statement(d!.operatorId, "down", T0);
    expect(await feed(json(signedEvent(network, down, [a!.bls, b!.bls, c!.bls])))).toBe("APPLIED");
    // The same statement again, however it is delivered.
    expect(await feed(json(signedEvent(network, down, [a!.bls, b!.bls, c!.bls])))).toBe("ALREADY_APPLIED");
    expect(
      await feed(
        json(signedEvent(network, statement(d!.operatorId, "down", T0 + 1), [a!.bls, b!.bls, c!.bls])),
      ),
    ).toBe("NOT_A_CHANGE");
    // Older than the subject's last event: an old event delivered again late.
    expect(
      await feed(
        json(signedEvent(network, statement(d!.operatorId, "up", T0 - 5), [a!.bls, b!.bls, c!.bls])),
      ),
    ).toBe("NOT_AFTER_PREVIOUS");
    // Another subject, observed long before the log's newest event.
    expect(
      await feed(
        json(signedEvent(network, statement(c!.operatorId, "down", T0 - 60_000), [a!.bls, b!.bls, d!.bls])),
      ),
    ).toBe("STALE_TIMESTAMP");
    expect(
      await feed(
        json(
          signedEvent(network, statement(c!.operatorId, "down", T0 + 3_600_000), [a!.bls, b!.bls, d!.bls]),
        ),
      ),
    ).toBe("FUTURE_TIMESTAMP");
    // Two of four: below 67 % of the stake, however valid the two signatures are.
    expect(
      await feed(json(signedEvent(network, statement(c!.operatorId, "down", T0 + 2), [a!.bls, b!.bls]))),
    ).toBe("BELOW_THRESHOLD");
    // Three outsiders' keys, claiming to be the members: the aggregate does not verify.
    const outsiders = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    expect(
      await feed(
        json(signedEvent(network, statement(c!.operatorId, "down", T0 + 3), outsiders, [c!.operatorId])),
      ),
    ).toBe("BAD_SIGNATURE");
    const wrongEpoch = { ...statement(c!.operatorId, "down", T0 + 4), epoch: epochOf(epochs, T0) + 1 };
    expect(await feed(json(signedEvent(network, wrongEpoch, [a!.bls, b!.bls, d!.bls])))).toBe("WRONG_EPOCH");
    const stranger = generateKeyPair();
    expect(
      await feed(
        json(
          signedEvent(network, statement(`0x${"ab".repeat(32)}`, "down", T0 + 5), [
            a!.bls,
            b!.bls,
            c!.bls,
            stranger,
          ]),
        ),
      ),
    ).toBe("NOT_A_MEMBER");
    expect(await feed("not json {")).toBe("NOT_JSON");
    expect(await feed(new Uint8Array([0xff, 0xfe, 0x00]))).toBe("NOT_JSON");
    expect(await feed(JSON.stringify({ hello: "world" }))).toBe("MALFORMED");
    const otherNetwork = testNetwork([1n, 1n, 1n, 1n]).network;
    expect(
      await feed(
        json({
          ...signedEvent(network, statement(c!.operatorId, "down", T0 + 6), [a!.bls, b!.bls, d!.bls]),
          snapshotId: otherNetwork.snapshotId,
        }),
      ),
    ).toBe("SNAPSHOT_MISMATCH");
    expect(
      await feed(
        json(
          signedEvent(
            network,
            statement(c!.operatorId, "down", T0 + 7),
            [a!.bls, b!.bls, d!.bls],
            [c!.operatorId, c!.operatorId],
          ),
        ),
      ),
    ).toBe("UNSORTED_NON_SIGNERS");
    // After all that, the real recovery still applies.
    expect(
      await feed(
        json(signedEvent(network, statement(d!.operatorId, "up", T0 + 10_000), [a!.bls, b!.bls, c!.bls])),
      ),
    ).toBe("APPLIED");
    expect(db.counts()).toEqual({ applied: 2, refused: 14 });
    const answer = operatorEpoch(db, epochs, d!.operatorId, epochOf(epochs, T0), db.position().index);
    expect(answer).toMatchObject({ downEvents: 1, downtimeMs: 10_000, downNow: false });
    expect(answer.events.map((e) => e.state)).toEqual(["down", "up"]);
  });

  it("counts stake, never heads: three small operators cannot outvote one large one", async () => {
    const { network: weighted, members: ms } = testNetwork([1n, 1n, 1n, 5n]);
    const [s1, s2, s3, big] = ms;
    const { feed } = replica(weighted);
    // 3 of 4 operators, 3 of 8 stake.
    expect(
      await feed(
        JSON.stringify(
          signedEvent(weighted, statement(big!.operatorId, "down", T0), [s1!.bls, s2!.bls, s3!.bls]),
        ),
      ),
    ).toBe("BELOW_THRESHOLD");
    // buildEvent, the asker's side, agrees: no event from those three shares.
    const st = statement(s1!.operatorId, "down", T0);
    const small = new Map(
      [s2!, s3!].map((m) => [m.operatorId, signStatement(m.bls.secretKey, weighted.snapshotId, st)]),
    );
    expect(buildEvent(weighted, st, small)).toBeUndefined();
    // 2 of 4 operators, 6 of 8 stake.
    small.set(big!.operatorId, signStatement(big!.bls.secretKey, weighted.snapshotId, st));
    small.delete(s3!.operatorId);
    const event = buildEvent(weighted, st, small);
    expect(event).toBeDefined();
    expect(verifyStatementShare(weighted, st, big!.operatorId, small.get(big!.operatorId)!)).toBe(true);
    expect(await feed(JSON.stringify(event))).toBe("APPLIED");
  });

  it("answers an epoch identically from identical rows, most downtime first, with an open outage counted to the log's clock", async () => {
    const one = replica(network);
    const two = replica(network);
    const events = [
      signedEvent(network, statement(d!.operatorId, "down", T0), [a!.bls, b!.bls, c!.bls]),
      signedEvent(network, statement(c!.operatorId, "down", T0 + 1_000), [a!.bls, b!.bls, d!.bls]),
      signedEvent(network, statement(d!.operatorId, "up", T0 + 5_000), [a!.bls, b!.bls, c!.bls]),
    ];
    for (const e of events) {
      await one.feed(JSON.stringify(e));
      await two.feed(JSON.stringify(e));
    }
    const epoch = epochOf(epochs, T0);
    const first = JSON.stringify(epochSummary(one.db, epochs, epoch, 3));
    expect(first).toBe(JSON.stringify(epochSummary(two.db, epochs, epoch, 3)));
    const summary = epochSummary(one.db, epochs, epoch, 3);
    // d: down T0 → T0 + 5 s; c: down since T0 + 1 s, still down at the log's clock (T0 + 5 s).
    expect(summary.operators[0]).toMatchObject({
      operator: d!.operatorId,
      downtimeMs: 5_000,
      downNow: false,
    });
    expect(summary.operators[1]).toMatchObject({ operator: c!.operatorId, downtimeMs: 4_000, downNow: true });
    expect(summary.operators.slice(2).map((o) => o.downtimeMs)).toEqual([0, 0]);
    // As of index 2 the log knew of no recovery: d counted up to the log's clock then (T0 + 1 s).
    expect(operatorEpoch(one.db, epochs, d!.operatorId, epoch, 2)).toMatchObject({
      downtimeMs: 1_000,
      downNow: true,
    });
    expect(one.db.digest(3)).toBe(two.db.digest(3));
    expect(one.db.digest(2)).not.toBe(one.db.digest(3));
  });

  it("signs an on-chain report only for the downtime its own rows give, as of an index it has", async () => {
    const { db, feed } = replica(network);
    await feed(
      JSON.stringify(signedEvent(network, statement(d!.operatorId, "down", T0), [a!.bls, b!.bls, c!.bls])),
    );
    await feed(
      JSON.stringify(
        signedEvent(network, statement(d!.operatorId, "up", T0 + 7_000), [a!.bls, b!.bls, c!.bls]),
      ),
    );
    const deps = { db, epochs, secretKey: a!.bls.secretKey, self: a!.operatorId };
    const report = {
      chainId: 31337,
      ejector: "0x00000000000000000000000000000000000000e1" as const,
      operator: network.members.find((m) => m.operatorId === d!.operatorId)!.address,
      epoch: epochOf(epochs, T0),
      downtimeMs: 7_000,
      asOfIndex: 2,
      referenceBlock: 5,
    };
    const signed = answerReport(deps, report);
    expect(signed.signed).toBe(true);
    if (signed.signed)
      expect(verifySignature(a!.bls.publicKeyG2, reportDigest(report), g1FromJson(signed.signature))).toBe(
        true,
      );
    // As of index 1 the outage was still open at the log's clock: 0 ms, so 7 s is not what it holds.
    expect(answerReport(deps, { ...report, asOfIndex: 1 })).toMatchObject({
      signed: false,
      reason: "DISAGREE",
    });
    expect(answerReport(deps, { ...report, asOfIndex: 3 })).toMatchObject({
      signed: false,
      reason: "NOT_YET",
    });
    expect(
      answerReport(deps, { ...report, operator: "0x00000000000000000000000000000000000000aa" }),
    ).toMatchObject({
      signed: false,
      reason: "NOT_A_MEMBER",
    });
    expect(answerReport({ ...deps, epochs: { lengthMs: 1_500, originMs: 0 } }, report)).toMatchObject({
      signed: false,
      reason: "EPOCHS_NOT_IN_SECONDS",
    });
  });
});
