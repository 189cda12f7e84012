import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, httpDowntimeSource, notRunningDowntimeSource } from "../src/index.js";

const ID_2 = `0x${"b".repeat(64)}`;
const ID_3 = `0x${"c".repeat(64)}`;

/** A stand-in for a downtime-log replica's read API: one route, a canned answer. */
async function fakeReplica(
  status: number,
  body: string,
): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, paths, server };
}

describe("the dashboard's downtime sources", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });
  const read = (url: string) =>
    httpDowntimeSource({ url, names: new Map([[ID_2, "operator-2"]]) }).read(new AbortController().signal);

  it("without a downtime-log service: not running", async () => {
    expect(await notRunningDowntimeSource().read(new AbortController().signal)).toMatchObject({
      state: "not-running",
    });
  });

  it("reads the current epoch's answer, names the operators it knows, keeps the log index", async () => {
    const answer = {
      asOfIndex: 17,
      epoch: 4,
      epochStart: 0,
      epochEnd: 1,
      operators: [
        { operator: ID_2, downEvents: 1, downtimeMs: 4_200, downNow: true },
        { operator: ID_3, downEvents: 0, downtimeMs: 0, downNow: false },
      ],
    };
    const replica = await fakeReplica(200, JSON.stringify(answer));
    servers.push(replica.server);
    expect(await read(replica.url)).toEqual({
      state: "ok",
      url: replica.url.replace(/\/$/, ""),
      epoch: "4",
      asOfIndex: "17",
      operators: [
        { operator: "operator-2", downEvents: 1, totalDowntimeMs: 4_200, downNow: true },
        { operator: ID_3, downEvents: 0, totalDowntimeMs: 0, downNow: false },
      ],
    });
    expect(replica.paths).toEqual(["GET /v1/epochs/current"]);
  });

  it("a refusal, a foreign answer or no replica at all: unreachable, with why", async () => {
    const failing = await fakeReplica(503, "{}");
    const foreign = await fakeReplica(200, JSON.stringify({ hello: "world" }));
    servers.push(failing.server, foreign.server);
    expect(await read(failing.url)).toMatchObject({ state: "unreachable", error: "HTTP 503" });
    expect(await read(foreign.url)).toMatchObject({ state: "unreachable", error: /not a downtime-log/ });
    const nobody = await freePort();
    expect(await read(`http://127.0.0.1:${nobody}`)).toMatchObject({
      state: "unreachable",
      error: "ECONNREFUSED",
    });
  });
});
