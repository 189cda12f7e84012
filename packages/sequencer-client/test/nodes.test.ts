/* The node pool's bookkeeping on its own: order, failover, refusal and its expiry (a fake clock). */
import { describe, expect, it } from "vitest";
import { VerificationError } from "../src/index.js";
import { NodePool } from "../src/nodes.js";

function pool() {
  let now = 1_000_000;
  const nodes = new NodePool(["http://a/", "http://b", "http://c", "http://a"], {
    refuseForMs: 60_000,
    now: () => now,
  });
  return { nodes, advance: (ms: number) => (now += ms), urls: () => nodes.candidates().map((c) => c.url) };
}

describe("NodePool", () => {
  it("keeps the configured order without duplicates or trailing slashes, and probes unknown nodes", () => {
    const { nodes, urls } = pool();
    expect(urls()).toEqual(["http://a", "http://b", "http://c"]);
    expect(nodes.candidates().every((c) => c.probe)).toBe(true);
    nodes.succeeded("http://a");
    expect(nodes.candidates()[0]).toEqual({ url: "http://a", probe: false });
  });

  it("starts from the node that answered last, and from the next one after a failure or moveOn", () => {
    const { nodes, urls } = pool();
    nodes.succeeded("http://b");
    expect(urls()).toEqual(["http://b", "http://c", "http://a"]);
    nodes.moveOn("http://b");
    expect(urls()).toEqual(["http://c", "http://a", "http://b"]);
    nodes.failed("http://c", "ECONNREFUSED");
    expect(urls()).toEqual(["http://a", "http://b"]);
  });

  it("leaves a failing node alone for a backoff that grows, then probes it again", () => {
    const { nodes, urls, advance } = pool();
    nodes.failed("http://a", "timeout");
    expect(urls()).not.toContain("http://a");
    advance(100);
    expect(urls()).toContain("http://a");
    nodes.failed("http://a", "timeout");
    nodes.failed("http://a", "timeout");
    advance(100);
    expect(urls()).not.toContain("http://a");
    advance(300);
    expect(nodes.candidates().find((c) => c.url === "http://a")).toEqual({ url: "http://a", probe: true });
  });

  it("refuses a node for refuseForMs, counting it", () => {
    const { nodes, urls, advance } = pool();
    const rejected = nodes.refuse(new VerificationError("http://b", "BAD_SIGNATURE", "forged"));
    expect(rejected.until).toBe(1_000_000 + 60_000);
    expect(rejected.cause.reason).toBe("BAD_SIGNATURE");
    expect(nodes.nextAvailableAt()).toBe(1_060_000);
    advance(59_999);
    expect(urls()).toEqual(["http://a", "http://c"]);
    advance(1);
    expect(urls()).toEqual(["http://a", "http://b", "http://c"]);
    expect(nodes.status().find((s) => s.url === "http://b")).toMatchObject({
      rejections: 1,
      state: "unknown",
    });
  });
});
