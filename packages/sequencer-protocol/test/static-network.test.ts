import { describe, expect, it } from "vitest";
import { NetworkFileError } from "../src/errors.js";
import { memberById } from "../src/network.js";
import {
  formatStaticNetwork,
  parseStaticNetwork,
  type StaticNetworkFileJson,
  staticMember,
} from "../src/static-network.js";
import { networkFromJson, networkToJson } from "../src/wire.js";
import { MEMBERS } from "./support.js";

const three = MEMBERS.slice(0, 3);
const entries = three.map((m, i) => staticMember(m.bls, m.address, m.stake, `http://127.0.0.1:${9200 + i}`));
const file: StaticNetworkFileJson = { version: 1, members: entries };
const text = formatStaticNetwork(file);

function refusal(fn: () => unknown): NetworkFileError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkFileError);
    return error as NetworkFileError;
  }
  throw new Error("expected a NetworkFileError");
}

describe("static network file", () => {
  // One parse (3 members × 2 pairing checks) shared by the assertions on its result.
  const network = parseStaticNetwork(text);

  it("parses into a network whose snapshot is the file's hash", () => {
    expect(network.snapshot.kind).toBe("static");
    expect(network.members).toHaveLength(3);
    expect(network.totalStake).toBe(80n);
    expect(network.thresholdPercent).toBe(67);
    const first = memberById(network, three[0]!.operatorId)!;
    expect(first.address).toBe(three[0]!.address);
    expect(first.url).toBe("http://127.0.0.1:9200");
    expect(first.pubkeyG2.equals(three[0]!.bls.publicKeyG2)).toBe(true);
    // Another byte is another snapshot: every node must load the identical file.
    expect(parseStaticNetwork(`${text} `, { thresholdPercent: 80 }).snapshotId).not.toBe(network.snapshotId);
  });

  it("round-trips through the /v1/network JSON", () => {
    const back = networkFromJson(JSON.parse(JSON.stringify(networkToJson(network))));
    expect(back.snapshotId).toBe(network.snapshotId);
    expect(back.members.map((m) => m.operatorId)).toEqual(network.members.map((m) => m.operatorId));
    const json = networkToJson(network);
    expect(() => networkFromJson({ ...json, totalStake: "81" })).toThrow(/totalStake/);
    expect(() => networkFromJson({ ...json, snapshotId: `0x${"00".repeat(32)}` })).toThrow(/snapshotId/);
  });

  it("takes the threshold from the file unless the caller overrides it", () => {
    const withThreshold = formatStaticNetwork({ ...file, thresholdPercent: 75 });
    expect(parseStaticNetwork(withThreshold, { thresholdPercent: 90 }).thresholdPercent).toBe(90);
  });

  it("refuses a member whose proof of possession is for another key, naming it", () => {
    const swapped = structuredClone(file);
    swapped.members[1]!.proofOfPossession = entries[2]!.proofOfPossession;
    const error = refusal(() => parseStaticNetwork(formatStaticNetwork(swapped)));
    expect(error.memberIndex).toBe(1);
    expect(error.field).toBe("members[1].proofOfPossession");
  });

  it("refuses a PoP made for another address (a member claiming another's key)", () => {
    const stolen = structuredClone(file);
    stolen.members[2]!.address = MEMBERS[3]!.address;
    const error = refusal(() => parseStaticNetwork(formatStaticNetwork(stolen)));
    expect(error.field).toBe("members[2].proofOfPossession");
  });

  it("refuses G1 and G2 keys of different secrets", () => {
    const mixed = structuredClone(file);
    mixed.members[0]!.pubkeyG2 = entries[1]!.pubkeyG2;
    const error = refusal(() => parseStaticNetwork(formatStaticNetwork(mixed)));
    expect(error.field).toBe("members[0].pubkeyG2");
    expect(error.memberIndex).toBe(0);
  });

  it("refuses malformed files, naming the field", () => {
    expect(refusal(() => parseStaticNetwork("{")).field).toBe("");
    expect(refusal(() => parseStaticNetwork(JSON.stringify({ ...file, version: 2 }))).field).toBe("version");
    const badUrl = structuredClone(file);
    badUrl.members[1]!.url = "ftp://x";
    const error = refusal(() => parseStaticNetwork(JSON.stringify(badUrl)));
    expect(error.field).toBe("members[1].url");
    expect(error.memberIndex).toBe(1);
    const offCurve = structuredClone(file);
    offCurve.members[2]!.pubkeyG1 = { X: "1", Y: "3" };
    expect(refusal(() => parseStaticNetwork(JSON.stringify(offCurve))).field).toBe("members[2].pubkeyG1");
    const twice = { ...file, members: [...entries, entries[0]!] };
    expect(refusal(() => parseStaticNetwork(JSON.stringify(twice))).message).toMatch(/appears twice/);
  });
});
