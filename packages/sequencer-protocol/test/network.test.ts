import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { NetworkError } from "../src/errors.js";
import { createNetwork, hasQuorum, leaderOf, memberById, snapshotIdOf, stakeOf } from "../src/network.js";
import { asMember, BIG, FILE_HASH, MEMBERS, NETWORK, SMALL } from "./support.js";

describe("network", () => {
  it("sorts members by operatorId and sums stakes", () => {
    const ids = NETWORK.members.map((m) => m.operatorId);
    expect(ids).toEqual([...ids].sort());
    expect(NETWORK.totalStake).toBe(100n);
    expect(NETWORK.thresholdPercent).toBe(67);
  });

  it("snapshot ids are the ABI encodings' hashes", () => {
    expect(NETWORK.snapshotId).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }],
          [keccak256(toBytes("avskit.sequencer.static.v1")), FILE_HASH],
        ),
      ),
    );
    const chain = {
      kind: "chain",
      chainId: 31337,
      registryCoordinator: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      quorumNumber: 0,
      referenceBlock: 42,
    } as const;
    expect(snapshotIdOf(chain)).toBe(
      keccak256(
        encodeAbiParameters(
          [{ type: "uint256" }, { type: "address" }, { type: "uint8" }, { type: "uint32" }],
          [31337n, chain.registryCoordinator, 0, 42],
        ),
      ),
    );
    expect(snapshotIdOf({ ...chain, referenceBlock: 43 })).not.toBe(snapshotIdOf(chain));
  });

  it("quorum is by stake, not by count", () => {
    const small = SMALL.map((m) => m.operatorId);
    expect(stakeOf(NETWORK, small)).toBe(60n);
    expect(hasQuorum(NETWORK, small)).toBe(false);
    expect(hasQuorum(NETWORK, [BIG.operatorId, small[0]!, small[1]!])).toBe(true);
    // Each member once; unknown ids count nothing.
    const stranger: Hex = `0x${"11".repeat(32)}`;
    expect(stakeOf(NETWORK, [BIG.operatorId, BIG.operatorId.toUpperCase() as Hex, stranger])).toBe(40n);
  });

  it("looks members up in any case and rotates leaders by term", () => {
    expect(memberById(NETWORK, BIG.operatorId.toUpperCase().replace("0X", "0x") as Hex)?.stake).toBe(40n);
    expect(leaderOf(NETWORK, 1n)).toBe(NETWORK.members[0]);
    expect(leaderOf(NETWORK, 4n)).toBe(NETWORK.members[3]);
    expect(leaderOf(NETWORK, 5n)).toBe(NETWORK.members[0]);
    expect(() => leaderOf(NETWORK, 0n)).toThrow(NetworkError);
  });

  it("refuses duplicates, a wrong operatorId, zero stake and a bad threshold", () => {
    const snapshot = { kind: "static", fileHash: FILE_HASH } as const;
    const members = MEMBERS.map(asMember);
    expect(() => createNetwork(snapshot, [...members, members[0]!])).toThrow(/appears twice/);
    expect(() =>
      createNetwork(snapshot, [{ ...members[0]!, address: members[1]!.address }, members[1]!]),
    ).toThrow(/appears twice/);
    expect(() => createNetwork(snapshot, [{ ...members[0]!, operatorId: members[1]!.operatorId }])).toThrow(
      /keccak256 of its G1 key/,
    );
    expect(() =>
      createNetwork(
        snapshot,
        members.map((m) => ({ ...m, stake: 0n })),
      ),
    ).toThrow(/total stake is zero/);
    expect(() => createNetwork(snapshot, [])).toThrow(NetworkError);
    expect(() => createNetwork(snapshot, members, 0)).toThrow(/thresholdPercent/);
    expect(() => createNetwork(snapshot, members, 101)).toThrow(/thresholdPercent/);
  });
});
