import { resolveContracts } from "@avskit/bindings";
import {
  addOptions,
  ConfigError,
  connectChain,
  createLogger,
  ecdsaSignerOptions,
  loadConfiguredSigner,
  type OptionSpecs,
  opt,
  resolveConfig,
  rpcUrlOption,
  SignerError,
  txTimeoutOption,
  walletFor,
} from "@avskit/runtime";
import { Command, CommanderError } from "commander";
import type { PublicClient, WalletClient } from "viem";
import { z } from "zod";
import { EjectError, ejectForDowntime } from "./eject.js";

/** Every option has an `AVSKIT_DOWNTIME_EJECT_*` env var. */
export const EJECT_ENV_PREFIX = "AVSKIT_DOWNTIME_EJECT_";

export const ejectOptions = {
  rpcUrl: rpcUrlOption(),
  ejector: {
    flag: "--ejector",
    value: "address",
    description: "the DowntimeEjector (set as the RegistryCoordinator's ejector)",
    schema: opt.address(),
    required: true,
  },
  operator: {
    flag: "--operator",
    value: "address",
    description: "the operator to report (its registered address)",
    schema: opt.address(),
    required: true,
  },
  epoch: {
    flag: "--epoch",
    value: "n|current|previous",
    description:
      "the epoch to report, by the ejector's clock (it acts on the current epoch and the one before)",
    schema: z.union([z.enum(["current", "previous"]), opt.int(0)]),
    default: "current",
  },
  replicas: {
    flag: "--replicas",
    value: "list",
    description:
      "downtime-log replicas' API URLs, comma-separated: asked for the downtime and to sign the report",
    schema: opt.list(opt.url()),
    required: true,
  },
  deploymentsDir: {
    flag: "--deployments-dir",
    value: "dir",
    description:
      "folder of deployments/<chainId>.json, where the OperatorStateRetriever address is read from (default: $AVSKIT_DEPLOYMENTS_DIR or ./deployments)",
    schema: opt.string(),
  },
  operatorStateRetriever: {
    flag: "--operator-state-retriever",
    value: "address",
    description: "OperatorStateRetriever address; overrides the deployments file",
    schema: opt.address(),
  },
  dryRun: {
    flag: "--dry-run",
    description: "build, check and simulate the report; send nothing (no key needed)",
    schema: opt.bool(),
    default: "false",
  },
  ...ecdsaSignerOptions(
    "key of the account that sends ejectForDowntime and pays its gas (any funded account; prefer the env var: flags show in `ps`)",
  ),
  txTimeout: txTimeoutOption(),
  logLevel: {
    flag: "--log-level",
    value: "level",
    description: "level of the log lines on stderr",
    schema: opt.enum(["debug", "info", "warn", "error", "silent"]),
    default: "info",
  },
} as const satisfies OptionSpecs;

export interface EjectIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const HELP_AFTER = `
Asks the replicas for the operator's downtime in the epoch (as of the log index all of them have),
and when it exceeds the ejector's share, for their signatures of the report; checks each against the
key the registries hold for its signer, and once the signers hold the ejector's threshold of every
quorum's stake, sends DowntimeEjector.ejectForDowntime. Run it from a scheduler (e.g. every few
minutes): below the share it sends nothing.

Prints one JSON line: {"ejected":true,...,"txHash","gasUsed"} or {"ejected":false,"reason":"BELOW_SHARE"|"DRY_RUN",...}.
Exit codes: 0 ejected, or nothing to do; 1 not done (no replica, epochs that differ from the
ejector's, too little stake signed, a revert: the message names it); 2 invalid options.`;

/** `avskit-downtime-eject`: one report, from the replicas' databases to the chain. */
export async function ejectMain(argv: readonly string[], io: EjectIo): Promise<number> {
  const command = new Command("avskit-downtime-eject")
    .description(
      "Ejects an operator that the downtime log shows down for more than the DowntimeEjector's share of an epoch, with a report signed by the replicas.",
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(add --help for usage)");
  addOptions(command, ejectOptions, EJECT_ENV_PREFIX).addHelpText("after", HELP_AFTER);
  try {
    command.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  let config: ReturnType<typeof resolveConfig<typeof ejectOptions>>;
  try {
    config = resolveConfig(command, ejectOptions, EJECT_ENV_PREFIX, io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`avskit-downtime-eject: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({
    name: "downtime-eject",
    level: config.logLevel,
    destination: {
      write: (line: string) => {
        io.stderr(line);
        return true;
      },
    } as unknown as NodeJS.WritableStream,
  });
  try {
    const reader = await connectChain({ rpcUrl: config.rpcUrl });
    const { addresses } = await resolveContracts(reader, {
      ...(config.deploymentsDir !== undefined ? { dir: config.deploymentsDir } : {}),
      contracts: {
        operatorStateRetriever: {
          flag: "--operator-state-retriever",
          address: config.operatorStateRetriever,
        },
      },
    });
    let wallet: (WalletClient & { account: NonNullable<WalletClient["account"]> }) | undefined;
    if (!config.dryRun) {
      const account = await loadConfiguredSigner(config, EJECT_ENV_PREFIX);
      wallet = walletFor(reader, account, { rpcUrl: config.rpcUrl }) as typeof wallet;
    }
    const result = await ejectForDowntime({
      client: reader as unknown as PublicClient,
      ...(wallet !== undefined ? { wallet } : {}),
      ejector: config.ejector,
      operatorStateRetriever: addresses.operatorStateRetriever,
      replicas: config.replicas,
      operator: config.operator,
      epoch: config.epoch,
      logger,
      txTimeoutMs: config.txTimeout,
    });
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SignerError) {
      io.stderr(`avskit-downtime-eject: ${error.message}\n`);
      return 2;
    }
    const code = error instanceof EjectError ? `${error.code}: ` : "";
    io.stderr(`avskit-downtime-eject: ${code}${(error as Error).message}\n`);
    return 1;
  }
}
