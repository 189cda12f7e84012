import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  createHttpApp,
  defaultRefusalShape,
  listen,
  RetryAbortedError,
  retry,
  sleep,
} from "../src/index.js";

type Outcome = { status: number; body: unknown; connection: string | null } | { error: string };

async function request(url: string, init?: RequestInit): Promise<Outcome> {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body, connection: response.headers.get("connection") };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

describe("createHttpApp + listen: draining on close", () => {
  it("finishes requests in progress, answers new ones 503 in the error shape, then refuses connections", async () => {
    const app = createHttpApp();
    app.get("/slow", async () => {
      await sleep(300);
      return { done: true };
    });
    const server = await listen(app, "127.0.0.1", 0, { quietMs: 150 });
    const inProgress = request(`${server.url}/slow`);
    await sleep(50);
    const closing = server.close();
    await sleep(20);
    const during = await request(`${server.url}/slow`);
    expect(during).toMatchObject({
      status: 503,
      connection: "close",
      body: { code: "SHUTTING_DOWN", retryable: true },
    });
    expect(await inProgress).toMatchObject({ status: 200, body: { done: true } });
    await closing;
    expect(await request(`${server.url}/slow`)).toEqual({ error: "ECONNREFUSED" });
  });

  it("resets no connection when closed while 200 requests arrive", async () => {
    const app = createHttpApp({
      refusal: (kind, message) =>
        kind === "SHUTTING_DOWN"
          ? { status: 503, body: { code: "UNAVAILABLE", message: "stopping", retryable: true } }
          : defaultRefusalShape(kind, message),
    });
    app.post("/work", async () => {
      await sleep(5);
      return { ok: true };
    });
    const server = await listen(app, "127.0.0.1", 0);
    const outcomes: Promise<Outcome>[] = [];
    for (let i = 0; i < 200; i++) {
      outcomes.push(
        request(`${server.url}/work`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ i }),
        }),
      );
      if (i === 100) void server.close();
      if (i % 10 === 0) await sleep(2);
    }
    const results = await Promise.all(outcomes);
    const errors = results.filter((r): r is { error: string } => "error" in r).map((r) => r.error);
    // A connection made after the listener closed is refused by the kernel: that is a refusal,
    // not a reset. Anything else (ECONNRESET, "other side closed", a hang-up) would be a reset.
    expect(errors.filter((error) => error !== "ECONNREFUSED")).toEqual([]);
    const refusals = results.filter((r) => "status" in r && r.status !== 200);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 503, body: { code: "UNAVAILABLE", retryable: true } });
    }
    // Both sides of the close were exercised: some requests served, some told to go away.
    expect(results.filter((r) => "status" in r && r.status === 200).length).toBeGreaterThan(0);
    expect(refusals.length + errors.length).toBeGreaterThan(0);
    await server.close();
  });
});

describe("retry and backoffDelay", () => {
  it("follows initial · factor^(n−1), capped, and keeps equal jitter within [half, whole]", () => {
    const policy = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(3, { ...policy, factor: 3 })).toBe(900);
    expect(backoffDelay(10_000, policy)).toBe(1_000);
    expect(backoffDelay(3, { ...policy, jitter: "equal" }, () => 0)).toBe(200);
    expect(backoffDelay(3, { ...policy, jitter: "equal" }, () => 1)).toBe(400);
    expect(() => backoffDelay(0, policy)).toThrow(RangeError);
  });

  it("retries until success, reporting each wait", async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await retry(
      async (tryNumber) => {
        calls = tryNumber;
        if (tryNumber < 3) throw new Error("not yet");
        return "done";
      },
      {
        policy: { initialMs: 10, maxMs: 100 },
        onRetry: (event) => waits.push(event.delayMs),
        sleep: async () => {},
      },
    );
    expect(value).toBe("done");
    expect(calls).toBe(3);
    expect(waits).toEqual([10, 20]);
  });

  it("throws the last error after `tries`, at once for a permanent one, and when told to stop", async () => {
    const options = { policy: { initialMs: 1, maxMs: 1 }, sleep: async () => {} };
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    };
    await expect(retry(failing, { ...options, tries: 3 })).rejects.toThrow("failure 3");
    calls = 0;
    await expect(retry(failing, { ...options, isPermanent: () => true })).rejects.toThrow("failure 1");
    calls = 0;
    await expect(retry(failing, { ...options, shouldGoOn: () => calls < 2 })).rejects.toThrow("failure 2");
  });

  it("ends the wait when the signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const attempt = retry(
      async () => {
        throw new Error("down");
      },
      { policy: { initialMs: 60_000, maxMs: 60_000 }, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(attempt).rejects.toThrow("down");
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(
      retry(async () => 1, { policy: { initialMs: 1, maxMs: 1 }, signal: controller.signal }),
    ).rejects.toThrow(RetryAbortedError);
  });
});
