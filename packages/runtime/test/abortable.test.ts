import { describe, expect, it } from "vitest";
import { AbortedError, abortable, signalExitCode } from "../src/index.js";

describe("abortable", () => {
  it("settles like the work when no abort comes", async () => {
    const controller = new AbortController();
    expect(await abortable(Promise.resolve(7), controller.signal)).toBe(7);
    await expect(abortable(Promise.reject(new Error("rpc down")), controller.signal)).rejects.toThrow(
      "rpc down",
    );
  });

  it("stops waiting for a hung request as soon as the signal aborts, or at once when it already has", async () => {
    const hung = new Promise<never>(() => {});
    const controller = new AbortController();
    const waiting = abortable(hung, controller.signal);
    setTimeout(() => controller.abort(new Error("SIGTERM")), 10);
    await expect(waiting).rejects.toThrow(AbortedError);
    await expect(waiting).rejects.toThrow("aborted: SIGTERM");
    await expect(abortable(hung, AbortSignal.abort())).rejects.toThrow(AbortedError);
  });
});

describe("signalExitCode", () => {
  it("is 128 + the signal's number, as shells report it", () => {
    expect(signalExitCode("SIGINT")).toBe(130);
    expect(signalExitCode("SIGTERM")).toBe(143);
  });
});
