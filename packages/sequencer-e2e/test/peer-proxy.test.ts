import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { getJson } from "../src/http.js";
import { PeerProxy } from "../src/peer-proxy.js";

/** The partition proxy: forwards, drops a blocked sender's requests, drops all when isolated. */

let target: Server;
let proxy: PeerProxy;
beforeAll(async () => {
  target = createServer((req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: req.url })),
  );
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  proxy = new PeerProxy((target.address() as { port: number }).port);
  await proxy.up();
});
afterAll(async () => {
  await proxy.down();
  await new Promise((r) => target.close(r));
});

const from = (id: string) =>
  fetch(`${proxy.url}/v1/peer/round`, { headers: { "x-avskit-from": id } }).then(
    (r) => r.status,
    () => "dropped",
  );

it("forwards, drops a blocked sender both ways of a partition, and rejoins", async () => {
  expect((await getJson(`${proxy.url}/v1/state?x=1`))?.body).toEqual({ path: "/v1/state?x=1" });
  proxy.block("0xAA");
  expect(await from("0xaa")).toBe("dropped");
  expect(await from("0xbb")).toBe(200);
  proxy.unblock("0xaa");
  expect(await from("0xaa")).toBe(200);
  proxy.isolate();
  expect(await from("0xbb")).toBe("dropped");
  expect(await getJson(`${proxy.url}/v1/state`)).toBeUndefined();
  proxy.rejoin();
  expect(await from("0xbb")).toBe(200);
});
