import {
  booleanFlag,
  DeployError,
  formatDeploymentSummary,
  loadQuorumFile,
  type QuorumConfig,
} from "@avskit/deploy";
import { Command, Option } from "commander";
import { type Address, getAddress, isAddress } from "viem";
import { DEVNET_DEPLOYMENTS_DIR, type RunningChain, startChain } from "./chain.js";
import { DevnetError, InvalidDevnetOptionError } from "./errors.js";

interface ChainCliOptions {
  port: string;
  forkUrl?: string;
  forkBlockNumber?: string;
  delegationManager?: string;
  avsDirectory?: string;
  strategyManager?: string;
  quorums?: string;
  blockTime?: string;
  deploymentsDir: string;
  anvilLogs?: boolean;
}

export interface ChainCliIo {
  log: (line: string) => void;
  out: (text: string) => void;
}

const defaultIo: ChainCliIo = {
  log: (line) => process.stderr.write(`[chain] ${line}\n`),
  out: (text) => process.stdout.write(text),
};

function address(value: string | undefined, flag: string): Address | undefined {
  if (value === undefined || value === "") return undefined;
  if (!isAddress(value))
    throw new InvalidDevnetOptionError(flag, `${JSON.stringify(value)} is not an address`);
  return getAddress(value);
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean): number | undefined {
  if (value === undefined || value === "") return undefined;
  const parsed = Number(value);
  if (!check(parsed)) throw new InvalidDevnetOptionError(flag, `${JSON.stringify(value)} is out of range`);
  return parsed;
}

function formatRoles(chain: RunningChain): string {
  const rows = Object.entries(chain.roles).map(
    ([role, account]) => `${role.padEnd(14)} ${account.address}  key ${account.privateKey}`,
  );
  return (
    "dev accounts (anvil's public test keys; local use only):\n" +
    `${rows.map((row) => `  ${row}`).join("\n")}\n` +
    `  + ${chain.anvil.accounts.length - 3} more funded accounts (anvil's default mnemonic)\n`
  );
}

/** The `avskit-chain` command: a local chain with everything deployed, up until Ctrl-C. */
export function buildChainCommand(
  io: ChainCliIo = defaultIo,
  onStarted?: (chain: RunningChain) => void,
): Command {
  const option = (flags: string, description: string, env: string) => new Option(flags, description).env(env);
  return new Command("avskit-chain")
    .description(
      "Start anvil on 127.0.0.1, deploy the restaking stand-in (or use a forked EigenLayer) and the AVS, " +
        `print the addresses, and stay up until Ctrl-C. The deployment is recorded in <deployments-dir>/<chainId>.json.`,
    )
    .addOption(
      option("--port <port>", "port on 127.0.0.1 (0 = any free port)", "AVSKIT_CHAIN_PORT").default("8545"),
    )
    .addOption(option("--fork-url <url>", "fork this chain (JSON-RPC URL)", "AVSKIT_FORK_URL"))
    .addOption(
      option("--fork-block-number <n>", "fork at this block (default latest)", "AVSKIT_FORK_BLOCK_NUMBER"),
    )
    .addOption(
      option(
        "--delegation-manager <address>",
        "existing EigenLayer DelegationManager on the fork (needs --avs-directory and --quorums)",
        "AVSKIT_DELEGATION_MANAGER",
      ),
    )
    .addOption(
      option("--avs-directory <address>", "existing AVSDirectory on the fork", "AVSKIT_AVS_DIRECTORY"),
    )
    .addOption(
      option(
        "--strategy-manager <address>",
        "existing StrategyManager (recorded only)",
        "AVSKIT_STRATEGY_MANAGER",
      ),
    )
    .addOption(
      option(
        "--quorums <file>",
        "quorum definitions JSON (default: two devnet quorums)",
        "AVSKIT_QUORUMS_FILE",
      ),
    )
    .addOption(
      option(
        "--block-time <seconds>",
        "mine every N seconds instead of per transaction",
        "AVSKIT_BLOCK_TIME",
      ),
    )
    .addOption(
      option("--deployments-dir <dir>", "where <chainId>.json is written", "AVSKIT_DEPLOYMENTS_DIR").default(
        DEVNET_DEPLOYMENTS_DIR,
      ),
    )
    .addOption(option("--anvil-logs", "print anvil's own output", "AVSKIT_ANVIL_LOGS"))
    .showHelpAfterError()
    .action(async (options: ChainCliOptions, command: Command) => {
      options.anvilLogs = booleanFlag(command, "anvilLogs", "AVSKIT_ANVIL_LOGS");
      const port =
        number(options.port, "--port", (n) => Number.isInteger(n) && n >= 0 && n <= 65_535) ?? 8545;
      const blockTime = number(options.blockTime, "--block-time", (n) => Number.isFinite(n) && n > 0);
      const forkBlock = number(
        options.forkBlockNumber,
        "--fork-block-number",
        (n) => Number.isSafeInteger(n) && n >= 0,
      );
      let quorums: QuorumConfig[] | undefined;
      if (options.quorums !== undefined) quorums = await loadQuorumFile(options.quorums);
      const chain = await startChain({
        port,
        forkUrl: options.forkUrl,
        forkBlockNumber: forkBlock === undefined ? undefined : BigInt(forkBlock),
        blockTime,
        delegationManager: address(options.delegationManager, "--delegation-manager"),
        avsDirectory: address(options.avsDirectory, "--avs-directory"),
        strategyManager: address(options.strategyManager, "--strategy-manager"),
        quorums,
        deploymentsDir: options.deploymentsDir,
        log: io.log,
        onAnvilLog: options.anvilLogs ? (line) => io.log(`anvil: ${line}`) : undefined,
      });
      io.out(formatDeploymentSummary(chain.deployment, chain.deploymentPath));
      io.out(formatRoles(chain));
      io.out(`RPC ${chain.rpcUrl} (chain ${chain.chainId}) is up; Ctrl-C to stop.\n`);
      onStarted?.(chain);
      await waitForShutdown(chain, io);
    });
}

/** Resolves after a clean stop on SIGINT/SIGTERM; throws if anvil dies on its own. */
async function waitForShutdown(chain: RunningChain, io: ChainCliIo): Promise<void> {
  let signalled: NodeJS.Signals | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled !== undefined) return;
      signalled = signal;
      io.log(`${signal}: stopping anvil`);
      void chain.stop().then(resolve);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  const code = await Promise.race([stopped.then(() => "stopped" as const), chain.anvil.exited]);
  if (code !== "stopped" && signalled === undefined) {
    throw new DevnetError("ANVIL_EXITED", `anvil exited unexpectedly (code ${code})`);
  }
  await stopped;
  io.log("stopped");
}

/** Runs the CLI; returns the exit code. Known errors print one line, not a stack. */
export async function runChainCli(argv: readonly string[], io: ChainCliIo = defaultIo): Promise<number> {
  const command = buildChainCommand(io).exitOverride();
  try {
    await command.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof DevnetError || error instanceof DeployError) {
      io.log(`error: ${error.message}`);
      return 1;
    }
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    if (typeof exitCode === "number" && String((error as { code?: unknown }).code).startsWith("commander.")) {
      return exitCode;
    }
    throw error;
  }
}
