import { createWriteStream, type WriteStream } from "node:fs";
import type { Deployment } from "@avskit/bindings";
import { type DevAccount, startChain } from "@avskit/devnet";
import { createTestClient, http } from "viem";

/** Which of anvil's funded dev accounts each service signs with (their keys are public test keys). */
export interface LocalRoles {
  /** Deployed the contracts, owns the test tokens' mint; funds operators. */
  readonly deployer: DevAccount;
  readonly taskGenerator: DevAccount;
  readonly aggregator: DevAccount;
  readonly challenger: DevAccount;
  readonly avsSync: DevAccount;
}

export interface LocalChain {
  readonly rpcUrl: string;
  readonly port: number;
  readonly chainId: number;
  readonly anvilPid: number;
  readonly deployment: Deployment;
  readonly deploymentsDir: string;
  readonly deploymentPath: string;
  readonly roles: LocalRoles;
  /** Resolves when anvil exits (code, or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /**
   * From automine (a block per transaction: fast set-up) to a block every `seconds`, so time
   * passes on the chain as on a real one and response windows close by themselves. 0 keeps
   * automine.
   */
  setBlockTime(seconds: number): Promise<void>;
  /**
   * Waits until anvil's pool holds no pending transaction (they are mined by then), at most
   * `timeoutMs`: a response sent just before a stop then lands before the chain goes away.
   */
  settle(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartLocalChainOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly deploymentsDir: string;
  /** anvil's output (a line per RPC call) goes here. */
  readonly anvilLogFile?: string;
  /** Progress of the deploy steps. */
  readonly log?: (line: string) => void;
  /** A chain for anvil to fork (its latest block); a fresh chain without it. */
  readonly forkUrl?: string;
}

/** Starts anvil on 127.0.0.1 (forking `forkUrl` if given) in automine mode and deploys the AVS with the default two quorums. */
export async function startLocalChain(options: StartLocalChainOptions): Promise<LocalChain> {
  let anvilLog: WriteStream | undefined;
  if (options.anvilLogFile) anvilLog = createWriteStream(options.anvilLogFile, { flags: "a", mode: 0o600 });
  const chain = await startChain({
    port: options.port,
    deploymentsDir: options.deploymentsDir,
    log: options.log,
    ...(options.forkUrl === undefined ? {} : { forkUrl: options.forkUrl }),
    onAnvilLog: anvilLog ? (line) => anvilLog.write(`${line}\n`) : undefined,
  }).catch((error: unknown) => {
    anvilLog?.end();
    throw error;
  });
  const [, , , challenger, avsSync] = chain.anvil.accounts;
  if (challenger === undefined || avsSync === undefined) {
    await chain.stop();
    throw new Error("anvil must provide at least 5 funded accounts");
  }
  const anvil = createTestClient({ mode: "anvil", transport: http(chain.rpcUrl) });
  const exited = chain.anvil.exited.then((code) => {
    anvilLog?.end();
    return code;
  });
  return {
    rpcUrl: chain.rpcUrl,
    port: chain.anvil.port,
    chainId: chain.chainId,
    anvilPid: chain.anvil.pid,
    deployment: chain.deployment,
    deploymentsDir: options.deploymentsDir,
    deploymentPath: chain.deploymentPath,
    roles: { ...chain.roles, challenger, avsSync },
    exited,
    async setBlockTime(seconds: number) {
      if (seconds > 0) await anvil.setIntervalMining({ interval: seconds });
    },
    async settle(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && (await anvil.getTxpoolStatus()).pending > 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await chain.stop();
      await exited;
    },
  };
}
