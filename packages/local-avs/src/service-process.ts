import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { ServiceStartError } from "./errors.js";
import { serviceBinary } from "./paths.js";

/** How to run one service: its package's CLI, its flags, and the env vars it gets (secrets go there). */
export interface ServiceSpec {
  /** Unique within a devnet; names the log file (`<name>.log`). */
  readonly name: string;
  readonly packageName: string;
  readonly binName: string;
  readonly args: readonly string[];
  /** Added to the inherited environment. Never printed: this is where keys and passwords travel. */
  readonly env: Readonly<Record<string, string>>;
  /** Answers 200 once the service is up. */
  readonly healthUrl?: string;
  /** Its Prometheus metrics (the dashboard links to them). */
  readonly metricsUrl?: string;
  /** One line for the start-up view (ports, intervals); no secrets. */
  readonly summary: string;
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** We killed it (SIGKILL) because it did not stop within its grace period after SIGTERM. */
  readonly forced: boolean;
}

/** What happened to a process, in words: who ended it, and how. */
export function describeExit(exit: ServiceExit, graceMs?: number): string {
  if (exit.forced) {
    return `did not stop within ${graceMs === undefined ? "its grace period" : `${graceMs / 1000} s`} of SIGTERM and was killed`;
  }
  if (exit.signal !== null) return `was killed by ${exit.signal} from outside`;
  return exit.code === 0 ? "exited with code 0" : `exited with code ${exit.code}`;
}

/**
 * Variables that configure the services. A developer's shell may set them for another purpose
 * (e.g. AVSKIT_RPC_URL for a testnet operator); the devnet's children get only what the
 * devnet gives them.
 */
const SERVICE_ENV_PREFIXES = ["AVSKIT_", "AVS_SYNC_"];

export function childEnvironment(
  extra: Readonly<Record<string, string>>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    if (!SERVICE_ENV_PREFIXES.some((prefix) => key.startsWith(prefix))) env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * On Linux, `setpriv --pdeathsig` has the kernel send the service SIGTERM when the devnet
 * process dies, even by SIGKILL, so no service outlives it.
 */
function parentDeathWrapper(): string | undefined {
  if (process.platform !== "linux") return undefined;
  return ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Services still running when this process exits are killed synchronously. On Linux setpriv's
// parent-death signal covers a devnet that dies by SIGKILL too; elsewhere this is what there is.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** Default time a service gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 15_000;

/** A service running as its own process, its stdout and stderr appended to `<logsDir>/<name>.log`. */
export class ServiceProcess {
  readonly spec: ServiceSpec;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ServiceExit>;
  readonly #child: ChildProcess;
  #exit: ServiceExit | undefined;
  #stopping: Promise<ServiceExit> | undefined;
  #forcing = false;

  private constructor(spec: ServiceSpec, child: ChildProcess, logFile: string) {
    this.spec = spec;
    this.#child = child;
    this.logFile = logFile;
    if (child.pid === undefined) throw new ServiceStartError(spec.name, "the process has no pid", logFile);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exit = { code, signal, forced: this.#forcing && signal === "SIGKILL" };
        resolve(this.#exit);
      });
    });
  }

  /** Starts the service's CLI under the current Node, in its own process group (a terminal's Ctrl-C reaches only the devnet, which stops the services in order). */
  static start(spec: ServiceSpec, logsDir: string, baseEnv: NodeJS.ProcessEnv = process.env): ServiceProcess {
    const binary = serviceBinary(spec.packageName, spec.binName);
    const logFile = join(logsDir, `${spec.name}.log`);
    const fd = openSync(logFile, "a", 0o600);
    const command = [process.execPath, binary, ...spec.args];
    const wrapper = parentDeathWrapper();
    let child: ChildProcess;
    try {
      child = wrapper
        ? spawn(wrapper, ["--pdeathsig", "SIGTERM", "--", ...command], {
            detached: true,
            stdio: ["ignore", fd, fd],
            env: childEnvironment(spec.env, baseEnv),
          })
        : spawn(command[0]!, command.slice(1), {
            detached: true,
            stdio: ["ignore", fd, fd],
            env: childEnvironment(spec.env, baseEnv),
          });
    } finally {
      closeSync(fd);
    }
    killOnExit(child);
    return new ServiceProcess(spec, child, logFile);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Undefined while running. */
  get exit(): ServiceExit | undefined {
    return this.#exit;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Sends `signal` (SIGKILL by default) and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<ServiceExit> {
    if (this.#exit === undefined) this.#child.kill(signal);
    return this.exited;
  }

  /**
   * SIGTERM (the services shut down gracefully), then SIGKILL after `graceMs`. Resolves as soon
   * as the process is gone: the grace timer does not outlive it. Idempotent.
   */
  stop(graceMs = STOP_GRACE_MS): Promise<ServiceExit> {
    this.#stopping ??= (async () => {
      if (this.#exit !== undefined) return this.#exit;
      this.#child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), graceMs);
      });
      const done = await Promise.race([this.exited, graceOver]);
      clearTimeout(timer);
      if (done !== undefined) return done;
      this.#forcing = true;
      return this.kill("SIGKILL");
    })();
    return this.#stopping;
  }

  /**
   * Polls `spec.healthUrl` until it answers 200; fails if the process exits or time runs out, and
   * returns early (without error) when `signal` aborts: a stop during start-up is not held up.
   */
  async waitHealthy(timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
    const url = this.spec.healthUrl;
    if (url === undefined) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) return;
      if (this.#exit !== undefined) {
        const { code, signal } = this.#exit;
        throw new ServiceStartError(this.name, `exited (${signal ?? `code ${code}`})`, this.logFile);
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new ServiceStartError(this.name, `${url} not healthy within ${timeoutMs} ms`, this.logFile);
      }
      await sleep(200);
    }
  }
}
