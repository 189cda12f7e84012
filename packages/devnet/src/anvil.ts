import { type ChildProcess, type SpawnOptionsWithStdioTuple, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, getAddress, type Hex, isHex } from "viem";
import { resolveAnvilBinary } from "./anvil-binary.js";
import { AnvilStartError, InvalidDevnetOptionError } from "./errors.js";

/** anvil only ever listens on loopback: its default accounts' keys are public. */
export const ANVIL_HOST = "127.0.0.1";

export interface AnvilOptions {
  /** TCP port; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** JSON-RPC URL of a chain to fork. */
  forkUrl?: string;
  /** Block to fork at (needs `forkUrl`); latest when omitted. */
  forkBlockNumber?: bigint;
  /** Seconds between blocks (interval mining); automine (a block per transaction) when omitted. */
  blockTime?: number;
  /** Chain id; anvil's 31337, or the forked chain's id, when omitted. */
  chainId?: number;
  /** Number of funded dev accounts (default 10). */
  accounts?: number;
  /** BIP-39 mnemonic of the dev accounts; anvil's well-known test mnemonic when omitted. */
  mnemonic?: string;
  /** How long to wait for JSON-RPC to answer (default 30 s, 60 s when forking). */
  startTimeoutMs?: number;
  /** anvil binary; see `resolveAnvilBinary` for the default. */
  binary?: string;
  /** Receives each line anvil prints (it logs every RPC method name); dropped when omitted. */
  onLog?: (line: string) => void;
}

/** A funded account of the local chain. */
export interface DevAccount {
  address: Address;
  privateKey: Hex;
}

export interface AnvilInstance {
  rpcUrl: string;
  port: number;
  chainId: number;
  pid: number;
  accounts: readonly DevAccount[];
  /** Resolves with anvil's exit code (or null when killed by a signal) once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_LINES = 40;
const STOP_GRACE_MS = 5_000;
const LISTENING = /Listening on ([0-9.]+):(\d+)/;

// Instances still running when this process exits are killed synchronously.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/**
 * On Linux, `setpriv --pdeathsig` makes the kernel send anvil SIGTERM when this process dies,
 * even by SIGKILL, where no exit handler can run. Elsewhere only the exit hook applies.
 */
function parentDeathWrapper(): string | undefined {
  if (process.platform !== "linux") return undefined;
  return ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
}

function validate(options: AnvilOptions): void {
  const { port, blockTime, forkBlockNumber, forkUrl, chainId, accounts } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new InvalidDevnetOptionError("port", `${port} is not an integer in 0..65535`);
  }
  if (blockTime !== undefined && !(Number.isFinite(blockTime) && blockTime > 0)) {
    throw new InvalidDevnetOptionError("blockTime", `${blockTime} must be a positive number of seconds`);
  }
  if (forkBlockNumber !== undefined && forkUrl === undefined) {
    throw new InvalidDevnetOptionError("forkBlockNumber", "needs forkUrl");
  }
  if (forkBlockNumber !== undefined && forkBlockNumber < 0n) {
    throw new InvalidDevnetOptionError("forkBlockNumber", `${forkBlockNumber} is negative`);
  }
  if (forkUrl !== undefined && !/^(https?|wss?):\/\//.test(forkUrl)) {
    throw new InvalidDevnetOptionError("forkUrl", "must be an http(s) or ws(s) URL");
  }
  if (chainId !== undefined && (!Number.isInteger(chainId) || chainId <= 0)) {
    throw new InvalidDevnetOptionError("chainId", `${chainId} is not a positive integer`);
  }
  if (accounts !== undefined && (!Number.isInteger(accounts) || accounts < 1)) {
    throw new InvalidDevnetOptionError("accounts", `${accounts} must be at least 1`);
  }
}

function anvilArgs(options: AnvilOptions, configOut: string): string[] {
  const args = ["--host", ANVIL_HOST, "--port", String(options.port ?? 0), "--config-out", configOut];
  if (options.forkUrl !== undefined) args.push("--fork-url", options.forkUrl);
  if (options.forkBlockNumber !== undefined)
    args.push("--fork-block-number", options.forkBlockNumber.toString());
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
  if (options.accounts !== undefined) args.push("--accounts", String(options.accounts));
  if (options.mnemonic !== undefined) args.push("--mnemonic", options.mnemonic);
  return args;
}

async function rpcChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { result?: unknown };
    return typeof body.result === "string" && isHex(body.result) ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

function readAccounts(configOut: string): DevAccount[] {
  const config = JSON.parse(readFileSync(configOut, "utf8")) as {
    available_accounts?: unknown;
    private_keys?: unknown;
  };
  const addresses = config.available_accounts;
  const keys = config.private_keys;
  if (!Array.isArray(addresses) || !Array.isArray(keys) || addresses.length !== keys.length) {
    throw new Error(`unexpected anvil --config-out format in ${configOut}`);
  }
  return addresses.map((address, i) => ({
    address: getAddress(String(address)),
    privateKey: keys[i] as Hex,
  }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts anvil on 127.0.0.1 and resolves once it answers JSON-RPC. The process is killed when
 * this one exits (and, on Linux, when it dies). Call `stop()` to shut it down earlier.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  validate(options);
  const binary = options.binary ?? resolveAnvilBinary();
  const configOut = join(
    tmpdir(),
    `avskit-anvil-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`,
  );
  const args = anvilArgs(options, configOut);
  const wrapper = parentDeathWrapper();
  // Its own process group: a terminal's Ctrl-C goes to the program that started anvil, which
  // stops its services while the chain is still there, and only then anvil.
  const spawnOptions: SpawnOptionsWithStdioTuple<"ignore", "pipe", "pipe"> = {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  };
  const child = wrapper
    ? spawn(wrapper, ["--pdeathsig", "SIGTERM", "--", binary, ...args], spawnOptions)
    : spawn(binary, args, spawnOptions);
  running.add(child);
  installExitHook();

  const tail: string[] = [];
  let listeningPort: number | undefined;
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    const match = LISTENING.exec(line);
    if (match && listeningPort === undefined) listeningPort = Number(match[2]);
    options.onLog?.(line);
  };
  // anvil logs a line per RPC call: always drain its pipes, or it blocks once they fill up.
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
  }

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      exitCode = code;
      running.delete(child);
      rmSync(configOut, { force: true });
      resolve(code);
    });
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitCode !== undefined) return;
      child.kill("SIGTERM");
      // The grace timer is cleared once anvil is gone: a pending timer would keep the caller's
      // process alive for the rest of the grace period after everything has stopped.
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
      });
      const killed = await Promise.race([exited.then(() => true), graceOver]);
      clearTimeout(timer);
      if (!killed) {
        child.kill("SIGKILL");
        await exited;
      }
    })();
    return stopping;
  };

  const timeoutMs = options.startTimeoutMs ?? (options.forkUrl === undefined ? 30_000 : 60_000);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (spawnError)
        throw new AnvilStartError(`cannot run ${binary}: ${spawnError.message}`, tail.join("\n"));
      if (exitCode !== undefined) {
        const output = tail.join("\n");
        const hint = /address already in use/i.test(output)
          ? ` (port ${options.port} is taken: choose another --port, or 0 for a free one)`
          : "";
        throw new AnvilStartError(`anvil exited with code ${exitCode}${hint}`, output);
      }
      if (Date.now() > deadline) {
        throw new AnvilStartError(`no JSON-RPC answer within ${timeoutMs} ms`, tail.join("\n"));
      }
      if (listeningPort !== undefined && existsSync(configOut)) {
        const rpcUrl = `http://${ANVIL_HOST}:${listeningPort}`;
        const chainId = await rpcChainId(rpcUrl);
        if (chainId !== undefined) {
          const pid = child.pid;
          if (pid === undefined) throw new AnvilStartError("anvil has no pid", tail.join("\n"));
          return {
            rpcUrl,
            port: listeningPort,
            chainId,
            pid,
            accounts: readAccounts(configOut),
            exited,
            stop,
          };
        }
      }
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
