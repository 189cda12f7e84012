import { Command, Option } from "commander";
import { type Address, createWalletClient, getAddress, http, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor, publicClientFor, readChainId } from "./chain.js";
import {
  checkQuorums,
  DEFAULT_QUORUMS,
  DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS,
  DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS,
  type DeployConfig,
  loadQuorumFile,
  type RestakingConfig,
} from "./config.js";
import { deployAndRecord } from "./deploy.js";
import { DEPLOYER_KEY_ENV, readDeployerKey } from "./deployer-key.js";
import { DeployError, InvalidDeployConfigError } from "./errors.js";
import { formatDeploymentSummary } from "./summary.js";

interface CliOptions {
  rpcUrl: string;
  chainId?: string;
  deployerKeyFile?: string;
  deploymentsDir: string;
  redeploy?: boolean;
  quorums?: string;
  owner?: string;
  taskGenerators?: string;
  aggregators?: string;
  churnApprover?: string;
  ejector?: string;
  delegationManager?: string;
  avsDirectory?: string;
  strategyManager?: string;
  minWithdrawalDelayBlocks: string;
  metadataUri?: string;
  taskResponseWindowBlocks: string;
  taskChallengeWindowBlocks: string;
}

export interface CliIo {
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** The final summary (stdout). */
  out: (text: string) => void;
}

const defaultIo: CliIo = {
  log: (line) => process.stderr.write(`[deploy] ${line}\n`),
  out: (text) => process.stdout.write(text),
};

function parseAddress(value: string | undefined, flag: string): Address | undefined {
  if (value === undefined || value === "") return undefined;
  if (!isAddress(value))
    throw new InvalidDeployConfigError(flag, [`${JSON.stringify(value)} is not an address`]);
  return getAddress(value);
}

function parseAddressList(value: string | undefined, flag: string): Address[] | undefined {
  if (value === undefined || value === "") return undefined;
  return value.split(",").map((item) => parseAddress(item.trim(), flag)!);
}

function parsePositiveInt(value: string, flag: string, min = 1): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new InvalidDeployConfigError(flag, [`${JSON.stringify(value)} is not an integer >= ${min}`]);
  }
  return parsed;
}

function parseUint32(value: string, flag: string): number {
  const parsed = parsePositiveInt(value, flag);
  if (parsed > 0xffff_ffff) throw new InvalidDeployConfigError(flag, [`${value} does not fit in uint32`]);
  return parsed;
}

/** The `avskit-deploy` command. Every flag can also come from the `AVSKIT_*` variable shown in `--help`. */
export function buildDeployCommand(io: CliIo = defaultIo): Command {
  const option = (flags: string, description: string, env: string) => new Option(flags, description).env(env);
  return new Command("avskit-deploy")
    .description(
      "Deploy the avskit AVS contracts (and, unless an existing DelegationManager is given, the restaking " +
        `stand-in) to a JSON-RPC endpoint and record them in <deployments-dir>/<chainId>.json.\n` +
        `The deployer key comes from ${DEPLOYER_KEY_ENV} or --deployer-key-file, never from a flag.`,
    )
    .addOption(
      option("--rpc-url <url>", "JSON-RPC endpoint", "AVSKIT_RPC_URL").default("http://127.0.0.1:8545"),
    )
    .addOption(option("--chain-id <id>", "refuse unless the endpoint is on this chain", "AVSKIT_CHAIN_ID"))
    .addOption(
      option(
        "--deployer-key-file <path>",
        "file holding the deployer's hex private key",
        "AVSKIT_DEPLOYER_KEY_FILE",
      ),
    )
    .addOption(
      option("--deployments-dir <dir>", "where <chainId>.json is written", "AVSKIT_DEPLOYMENTS_DIR").default(
        "deployments",
      ),
    )
    .addOption(
      option(
        "--redeploy",
        "deploy again even if the chain has a live recorded deployment",
        "AVSKIT_REDEPLOY",
      ),
    )
    .addOption(
      option(
        "--quorums <file>",
        "quorum definitions JSON ({ quorums: [...] }); devnet defaults",
        "AVSKIT_QUORUMS_FILE",
      ),
    )
    .addOption(option("--owner <address>", "owner of the AVS contracts (default: deployer)", "AVSKIT_OWNER"))
    .addOption(
      option(
        "--task-generators <addresses>",
        "comma-separated task creators (default: deployer)",
        "AVSKIT_TASK_GENERATORS",
      ),
    )
    .addOption(
      option(
        "--aggregators <addresses>",
        "comma-separated task responders (default: deployer)",
        "AVSKIT_AGGREGATORS",
      ),
    )
    .addOption(
      option("--churn-approver <address>", "churn approver (default: owner)", "AVSKIT_CHURN_APPROVER"),
    )
    .addOption(option("--ejector <address>", "ejector (default: owner)", "AVSKIT_EJECTOR"))
    .addOption(
      option(
        "--delegation-manager <address>",
        "use this existing (e.g. forked EigenLayer) DelegationManager instead of deploying the stand-in",
        "AVSKIT_DELEGATION_MANAGER",
      ),
    )
    .addOption(
      option(
        "--avs-directory <address>",
        "the existing AVSDirectory (with --delegation-manager)",
        "AVSKIT_AVS_DIRECTORY",
      ),
    )
    .addOption(
      option(
        "--strategy-manager <address>",
        "the existing StrategyManager, recorded only (with --delegation-manager)",
        "AVSKIT_STRATEGY_MANAGER",
      ),
    )
    .addOption(
      option(
        "--min-withdrawal-delay-blocks <n>",
        "withdrawal delay of the restaking stand-in",
        "AVSKIT_MIN_WITHDRAWAL_DELAY_BLOCKS",
      ).default("10"),
    )
    .addOption(
      option(
        "--metadata-uri <uri>",
        "the AVS's metadata URI (set in the AVSDirectory)",
        "AVSKIT_METADATA_URI",
      ),
    )
    .addOption(
      option(
        "--task-response-window-blocks <n>",
        "blocks the aggregator has to respond to a task",
        "AVSKIT_TASK_RESPONSE_WINDOW_BLOCKS",
      ).default(String(DEFAULT_TASK_RESPONSE_WINDOW_BLOCKS)),
    )
    .addOption(
      option(
        "--task-challenge-window-blocks <n>",
        "blocks after a response during which it can be challenged",
        "AVSKIT_TASK_CHALLENGE_WINDOW_BLOCKS",
      ).default(String(DEFAULT_TASK_CHALLENGE_WINDOW_BLOCKS)),
    )
    .showHelpAfterError()
    .action(async (options: CliOptions, command: Command) => {
      options.redeploy = booleanFlag(command, "redeploy", "AVSKIT_REDEPLOY");
      await runDeploy(options, io);
    });
}

/**
 * Commander turns a boolean flag on whenever its variable exists, whatever its value; here
 * `AVSKIT_REDEPLOY=0` (or false, no, empty) means off.
 */
export function booleanFlag(command: Command, key: string, env: string): boolean {
  const value = command.getOptionValue(key) === true;
  if (command.getOptionValueSource(key) !== "env") return value;
  return !/^(|0|false|no|off)$/i.test((process.env[env] ?? "").trim());
}

function restakingFrom(options: CliOptions): RestakingConfig {
  const delegationManager = parseAddress(options.delegationManager, "--delegation-manager");
  const avsDirectory = parseAddress(options.avsDirectory, "--avs-directory");
  const strategyManager = parseAddress(options.strategyManager, "--strategy-manager");
  if (delegationManager === undefined) {
    if (avsDirectory !== undefined || strategyManager !== undefined) {
      throw new InvalidDeployConfigError("flags", [
        "--avs-directory/--strategy-manager need --delegation-manager",
      ]);
    }
    return {
      kind: "stand-in",
      minWithdrawalDelayBlocks: parsePositiveInt(
        options.minWithdrawalDelayBlocks,
        "--min-withdrawal-delay-blocks",
        0,
      ),
    };
  }
  if (avsDirectory === undefined) {
    throw new InvalidDeployConfigError("flags", ["--delegation-manager needs --avs-directory too"]);
  }
  return {
    kind: "external",
    delegationManager,
    avsDirectory,
    ...(strategyManager ? { strategyManager } : {}),
  };
}

async function runDeploy(options: CliOptions, io: CliIo): Promise<void> {
  const expectedChainId =
    options.chainId === undefined ? undefined : parsePositiveInt(options.chainId, "--chain-id");
  const restaking = restakingFrom(options);
  const quorums =
    options.quorums === undefined ? [...DEFAULT_QUORUMS] : await loadQuorumFile(options.quorums);
  checkQuorums(quorums, restaking, options.quorums ?? "default quorums");
  const config: DeployConfig = {
    restaking,
    quorums,
    owner: parseAddress(options.owner, "--owner"),
    taskGenerators: parseAddressList(options.taskGenerators, "--task-generators"),
    aggregators: parseAddressList(options.aggregators, "--aggregators"),
    churnApprover: parseAddress(options.churnApprover, "--churn-approver"),
    ejector: parseAddress(options.ejector, "--ejector"),
    metadataUri: options.metadataUri,
    taskResponseWindowBlocks: parseUint32(options.taskResponseWindowBlocks, "--task-response-window-blocks"),
    taskChallengeWindowBlocks: parseUint32(
      options.taskChallengeWindowBlocks,
      "--task-challenge-window-blocks",
    ),
  };
  const privateKey = readDeployerKey({ keyFile: options.deployerKeyFile, warn: io.log });
  const account = privateKeyToAccount(privateKey);

  const probe = publicClientFor(options.rpcUrl);
  const chainId = await readChainId(probe, expectedChainId);
  const chain = chainFor(options.rpcUrl, chainId);
  const publicClient = publicClientFor(options.rpcUrl, { chain });
  const walletClient = createWalletClient({
    account,
    chain,
    transport: http(options.rpcUrl, { retryCount: 1 }),
  });
  io.log(`deploying to chain ${chainId} at ${options.rpcUrl} as ${account.address}`);

  const result = await deployAndRecord({
    publicClient,
    walletClient,
    config,
    log: io.log,
    deploymentsDir: options.deploymentsDir,
    redeploy: options.redeploy === true,
    expectedChainId: chainId,
  });
  io.out(formatDeploymentSummary(result.deployment, result.path));
}

/** Runs the CLI; returns the process exit code. Known errors print one clear line, not a stack. */
export async function runDeployCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const command = buildDeployCommand(io).exitOverride();
  try {
    await command.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof DeployError) {
      io.log(`error: ${error.message}`);
      return 1;
    }
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    if (
      typeof exitCode === "number" &&
      (error as { code?: unknown }).code?.toString().startsWith("commander.")
    ) {
      return exitCode; // commander already printed help or the usage error
    }
    throw error;
  }
}
