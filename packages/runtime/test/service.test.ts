import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ConfigError,
  defineService,
  EXIT,
  opt,
  type ServiceHandle,
  type StopReport,
  sleep,
} from "../src/index.js";

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

function logSink() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

interface Behaviour {
  /** Throws this from start. */
  failStart?: Error;
  /** Ends by itself after this many ms with this code. */
  finishAfter?: { ms: number; code: number };
  /** stop() takes this long. */
  stopTakesMs?: number;
  /** stop() returns this code. */
  stopCode?: number;
  /** Waits for the context's signal during start (a start-up stopped by a signal). */
  blockStart?: boolean;
  /** What the stopped line should add. */
  report?: StopReport;
}

interface TestHandle extends ServiceHandle {
  readonly stops: string[];
}

const options = {
  greeting: {
    flag: "--greeting",
    value: "text",
    description: "what to say",
    schema: opt.string(),
    default: "hello",
  },
  count: { flag: "--count", value: "n", description: "how many", schema: opt.int(1, 10), required: true },
  token: { flag: "--token", value: "secret", description: "a secret", schema: z.string(), secret: true },
} as const;

const service = defineService({
  bin: "avskit-test",
  name: "test-service",
  description: "A service for the kit's tests.",
  envPrefix: "AVSKIT_TEST_",
  options,
  metricsAddr: "none",
  stopTimeoutMs: 300,
  isUsageError: (error) => error instanceof RangeError,
  async start(config, context, behaviour: Behaviour): Promise<TestHandle> {
    if (behaviour.blockStart) {
      await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve()));
      throw new Error("aborted while starting");
    }
    if (behaviour.failStart) throw behaviour.failStart;
    const stops: string[] = [];
    return {
      stops,
      summary: { greeting: config.greeting, count: config.count },
      health: () => ({ healthy: true, count: config.count }),
      ...(behaviour.finishAfter
        ? { finished: sleep(behaviour.finishAfter.ms).then(() => behaviour.finishAfter!.code) }
        : {}),
      async stop(reason) {
        stops.push(reason);
        if (behaviour.stopTakesMs) await sleep(behaviour.stopTakesMs);
        return behaviour.stopCode;
      },
      ...(behaviour.report ? { stopReport: () => behaviour.report! } : {}),
    };
  },
});

function cli(argv: string[], behaviour: Behaviour = {}, env: NodeJS.ProcessEnv = {}, stop?: AbortSignal) {
  const { lines, stream } = logSink();
  let out = "";
  let err = "";
  const done = service.main(argv, {
    env,
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    logDestination: stream,
    handleSignals: false,
    deps: behaviour,
    ...(stop ? { stop } : {}),
  });
  return { done, lines, output: () => ({ out, err }) };
}

describe("defineService: the CLI", () => {
  it("--help lists every option with its env var and the kit's own options, and exits 0", async () => {
    const run = cli(["--help"]);
    expect(await run.done).toBe(EXIT.ok);
    // commander wraps lines at the terminal's width: compare with white space folded.
    const out = run.output().out.replace(/\s+/g, " ");
    for (const text of [
      "--greeting <text>",
      "env AVSKIT_TEST_GREETING",
      "default hello",
      "env AVSKIT_TEST_COUNT",
      "required",
      "--metrics-addr <host:port>",
      "env AVSKIT_TEST_METRICS_ADDR",
      "--log-level <level>",
      "--config <file>",
      "flag > env > config file > default",
    ]) {
      expect(out).toContain(text);
    }
  });

  it("exits 2 naming the flag and its env var when a value is invalid or missing, and starts nothing", async () => {
    const invalid = cli(["--count", "11"]);
    expect(await invalid.done).toBe(EXIT.usage);
    expect(invalid.output().err).toMatch(
      /avskit-test: invalid --count \(env AVSKIT_TEST_COUNT\): "11": must be ≤ 10/,
    );
    expect(invalid.lines).toEqual([]);

    const missing = cli([]);
    expect(await missing.done).toBe(EXIT.usage);
    expect(missing.output().err).toContain("invalid --count (env AVSKIT_TEST_COUNT): is required");

    const unknown = cli(["--count", "1", "--nope"]);
    expect(await unknown.done).toBe(EXIT.usage);
    expect(unknown.output().err).toContain("unknown option '--nope'");
  });

  it("takes a flag over its env var, and never logs a secret", async () => {
    const stop = new AbortController();
    const run = cli(
      ["--count", "3", "--log-level", "debug"],
      {},
      { AVSKIT_TEST_COUNT: "9", AVSKIT_TEST_TOKEN: "hunter2", AVSKIT_TEST_GREETING: "hi" },
      stop.signal,
    );
    await sleep(20);
    stop.abort();
    expect(await run.done).toBe(EXIT.ok);
    const started = run.lines.find((line) => line.msg === "test-service started");
    expect(started).toMatchObject({ greeting: "hi", count: 3 });
    expect(JSON.stringify(run.lines)).not.toContain("hunter2");
    expect(run.lines.find((line) => line.msg === "configuration")).toMatchObject({
      config: { token: "<redacted>" },
    });
  });

  it("logs one started and one stopped line, and exits 0 when asked to stop", async () => {
    const stop = new AbortController();
    const run = cli(["--count", "1"], {}, {}, stop.signal);
    await sleep(20);
    stop.abort();
    expect(await run.done).toBe(EXIT.ok);
    const messages = run.lines.map((line) => line.msg);
    expect(messages.filter((msg) => msg === "test-service started")).toHaveLength(1);
    expect(run.lines.find((line) => line.msg === "test-service stopped")).toMatchObject({
      reason: "stop requested",
      exitCode: 0,
    });
  });

  it("ends with the stopped line, carrying what the service reports it did", async () => {
    const stop = new AbortController();
    const report = { fields: { done: ["a"], notDone: ["b"] }, detail: "before the end" };
    const run = cli(["--count", "1"], { report }, {}, stop.signal);
    await sleep(20);
    stop.abort();
    expect(await run.done).toBe(EXIT.ok);
    const messages = run.lines.map((line) => line.msg);
    expect(messages.indexOf("shutting down")).toBeGreaterThan(messages.indexOf("test-service started"));
    expect(run.lines.at(-1)).toEqual(
      expect.objectContaining({
        msg: "test-service stopped before the end",
        done: ["a"],
        notDone: ["b"],
        reason: "stop requested",
        exitCode: 0,
      }),
    );
  });

  it("exits with the code of a service that finished by itself", async () => {
    const run = cli(["--count", "1"], { finishAfter: { ms: 10, code: 7 } });
    expect(await run.done).toBe(7);
  });

  it("exits with the code the service's stop returns", async () => {
    const stop = new AbortController();
    const run = cli(["--count", "1"], { stopCode: 143 }, {}, stop.signal);
    await sleep(20);
    stop.abort();
    expect(await run.done).toBe(143);
  });

  it("exits 1 when stopping takes longer than the bound, and says so", async () => {
    const stop = new AbortController();
    const run = cli(["--count", "1"], { stopTakesMs: 5_000 }, {}, stop.signal);
    await sleep(20);
    const asked = Date.now();
    stop.abort();
    expect(await run.done).toBe(EXIT.failed);
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(run.lines.map((line) => line.msg)).toContain("test-service did not stop within 300 ms");
  });

  it("exits 1 with the reason when start-up fails, 2 when the failure is the user's configuration", async () => {
    const failed = cli(["--count", "1"], { failStart: new Error("cannot reach the JSON-RPC endpoint") });
    expect(await failed.done).toBe(EXIT.failed);
    expect(failed.lines.find((line) => line.msg.startsWith("cannot start"))?.msg).toBe(
      "cannot start: cannot reach the JSON-RPC endpoint",
    );

    const usage = cli(["--count", "1"], { failStart: new RangeError("--count exceeds the quorum's size") });
    expect(await usage.done).toBe(EXIT.usage);
    expect(usage.output().err).toContain("avskit-test: --count exceeds the quorum's size");

    const config = cli(["--count", "1"], {
      failStart: new ConfigError("--count", "AVSKIT_TEST_COUNT", "no"),
    });
    expect(await config.done).toBe(EXIT.usage);
  });

  it("exits 0 when stopped during start-up", async () => {
    const stop = new AbortController();
    const run = cli(["--count", "1"], { blockStart: true }, {}, stop.signal);
    await sleep(20);
    stop.abort();
    expect(await run.done).toBe(EXIT.ok);
    expect(run.lines.map((line) => line.msg)).toContain("test-service stopped while starting");
  });
});

describe("defineService: in process", () => {
  it("validates values given in code as flags, and serves /health from the handle", async () => {
    expect(() => service.resolveConfig({ count: 0 })).toThrow(ConfigError);
    const config = service.resolveConfig({ count: 2, metricsAddr: "127.0.0.1:0" });
    const { stream } = logSink();
    const { createLogger } = await import("../src/index.js");
    const running = await service.start(config, {
      logger: createLogger({ name: "t", destination: stream }),
      deps: {},
    });
    try {
      expect(running.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${running.opsUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ healthy: true, count: 2 });
    } finally {
      expect(await running.stop("test over")).toBe(EXIT.ok);
    }
    expect(running.handle.stops).toEqual(["test over"]);
    expect(await running.exited).toBe(EXIT.ok);
    await expect(fetch(`${running.opsUrl}/health`)).rejects.toThrow();
    // Idempotent: a second stop neither calls the service again nor changes the code.
    expect(await running.stop("again")).toBe(EXIT.ok);
    expect(running.handle.stops).toEqual(["test over"]);
  });

  it("an aborted outer signal stops the service", async () => {
    const outer = new AbortController();
    const { stream } = logSink();
    const { createLogger } = await import("../src/index.js");
    const running = await service.start(service.resolveConfig({ count: 1 }), {
      logger: createLogger({ name: "t", destination: stream }),
      signal: outer.signal,
      deps: {},
    });
    outer.abort(new Error("parent stopping"));
    expect(await running.exited).toBe(EXIT.ok);
    expect(running.handle.stops).toEqual(["parent stopping"]);
  });
});
