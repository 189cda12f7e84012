import { addOptions, opt, resolveConfig, walletFor } from "@avskit/runtime";
import type { Command } from "commander";
import { erc20Abi, formatUnits, parseUnits } from "viem";
import { z } from "zod";
import { deregisterOperator } from "../registration/deregister.js";
import { defaultStrategies, registerOperator, underlyingToken } from "../registration/register.js";
import { getOperatorStatus, type OperatorStatusReport } from "../registration/status.js";
import { formatG1, formatG2 } from "./format.js";
import { type CliIo, toJson } from "./io.js";
import {
  connectAvs,
  loadBlsKeyFromConfig,
  loadEcdsaAccountFromConfig,
  operatorAddressFromConfig,
} from "./loaders.js";
import {
  blsKeyOptions,
  chainOptions,
  ENV_PREFIX,
  ecdsaKeyOptions,
  keysDirOption,
  quorumList,
  SECRET_ENV,
} from "./options.js";

const registerSpecs = {
  ...chainOptions,
  ...keysDirOption,
  ...ecdsaKeyOptions,
  ...blsKeyOptions,
  quorums: {
    flag: "--quorums",
    value: "numbers",
    description: "quorums to join, comma-separated (quorums already joined are skipped)",
    schema: quorumList(),
    default: "0",
  },
  socket: {
    flag: "--socket",
    value: "text",
    description: "how to reach this operator, recorded on-chain",
    schema: opt.string(),
    default: "avskit-operator",
  },
  depositAmount: {
    flag: "--deposit-amount",
    value: "tokens",
    description:
      "deposit this many tokens (in whole tokens, decimals allowed, e.g. 32 or 0.5) into each strategy before registering; 0 deposits nothing",
    schema: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?$/, "must be a non-negative decimal number such as 32 or 0.5"),
    default: "0",
  },
  strategies: {
    flag: "--strategies",
    value: "addresses",
    description:
      "strategies to deposit into, comma-separated (default: the first strategy of each quorum joined)",
    schema: opt.list(opt.address()),
  },
  metadataUri: {
    flag: "--metadata-uri",
    value: "uri",
    description: "operator metadata URI for the delegation contract",
    schema: z.string(),
    default: "",
  },
} as const;

const deregisterSpecs = {
  ...chainOptions,
  ...keysDirOption,
  ...ecdsaKeyOptions,
  quorums: {
    flag: "--quorums",
    value: "numbers",
    description: "quorums to leave, comma-separated (default: every quorum the operator is in)",
    schema: quorumList(),
  },
} as const;

const statusSpecs = {
  ...chainOptions,
  ...keysDirOption,
  ...ecdsaKeyOptions,
  operatorAddress: {
    flag: "--operator-address",
    value: "address",
    description: "operator to report on (default: the address of --ecdsa-key or the raw key's)",
    schema: opt.address(),
  },
  blsKey: {
    ...blsKeyOptions.blsKey,
    required: false,
    description: `${blsKeyOptions.blsKey.description}; compared with the registered key`,
  },
  blsPasswordFile: blsKeyOptions.blsPasswordFile,
} as const;

const KEY_HELP = `
Transaction key: --ecdsa-key <name|file> with its password in ${SECRET_ENV.ecdsaKeyPassword} or
--ecdsa-password-file, or the raw key in ${SECRET_ENV.ecdsaPrivateKey}. BLS key password:
${SECRET_ENV.blsKeyPassword} or --bls-password-file. Secrets are never flag values.`;

export function addChainCommands(program: Command, io: CliIo): void {
  const register = program
    .command("register")
    .description(
      "deposit into strategies (optional), register as an operator in the delegation contract and join AVS quorums with the BLS proof of possession; steps already done are skipped",
    )
    .option("--json", "print JSON");
  addOptions(register, registerSpecs, ENV_PREFIX).addHelpText("after", KEY_HELP);
  register.action(async (flags: { json?: boolean }) => {
    const config = resolveConfig(register, registerSpecs, ENV_PREFIX, io.env);
    const account = await loadEcdsaAccountFromConfig(config, io);
    const blsKeyPair = await loadBlsKeyFromConfig(config, io);
    const { client, contracts } = await connectAvs(config);
    const deposits = [];
    if (config.depositAmount !== "0" && !/^0+(\.0+)?$/.test(config.depositAmount)) {
      const strategies = config.strategies ?? (await defaultStrategies(client, contracts, config.quorums));
      for (const strategy of strategies) {
        const token = await underlyingToken(client, strategy);
        const decimals = await client.readContract({
          address: token,
          abi: erc20Abi,
          functionName: "decimals",
        });
        deposits.push({ strategy, amount: parseUnits(config.depositAmount, decimals) });
      }
    }
    const result = await registerOperator({
      publicClient: client,
      walletClient: walletFor(client, account, { rpcUrl: config.rpcUrl }),
      contracts,
      blsKeyPair,
      quorums: config.quorums,
      socket: config.socket,
      deposits,
      metadataUri: config.metadataUri,
      log: flags.json ? undefined : (line) => io.out(line),
    });
    if (flags.json) {
      io.out(toJson(result));
      return;
    }
    const joined = result.joinedQuorums.length
      ? `joined quorum(s) ${result.joinedQuorums.join(", ")}`
      : "joined no new quorum";
    io.out(`registered ${result.operator} (operatorId ${result.operatorId}): ${joined}`);
  });

  const deregister = program
    .command("deregister")
    .description("leave AVS quorums (all of them by default); leaving the last one deregisters from the AVS")
    .option("--json", "print JSON");
  addOptions(deregister, deregisterSpecs, ENV_PREFIX).addHelpText("after", KEY_HELP);
  deregister.action(async (flags: { json?: boolean }) => {
    const config = resolveConfig(deregister, deregisterSpecs, ENV_PREFIX, io.env);
    const account = await loadEcdsaAccountFromConfig(config, io);
    const { client, contracts } = await connectAvs(config);
    const result = await deregisterOperator({
      publicClient: client,
      walletClient: walletFor(client, account, { rpcUrl: config.rpcUrl }),
      contracts,
      quorums: config.quorums,
      log: flags.json ? undefined : (line) => io.out(line),
    });
    if (flags.json) io.out(toJson(result));
    else if (result.leftQuorums.length === 0)
      io.out(`${result.operator} left no quorum (it was in none of those asked)`);
    else io.out(`${result.operator} left quorum(s) ${result.leftQuorums.join(", ")}`);
  });

  const status = program
    .command("status")
    .description("show the operator's registration, stake per quorum, public keys and operatorId (read-only)")
    .option("--json", "print JSON");
  addOptions(status, statusSpecs, ENV_PREFIX).addHelpText("after", KEY_HELP);
  status.action(async (flags: { json?: boolean }) => {
    const config = resolveConfig(status, statusSpecs, ENV_PREFIX, io.env);
    const operator = config.operatorAddress ?? (await operatorAddressFromConfig(config, io));
    const blsKeyPair =
      config.blsKey === undefined
        ? undefined
        : await loadBlsKeyFromConfig({ ...config, blsKey: config.blsKey }, io);
    const { client, contracts } = await connectAvs(config);
    const report = await getOperatorStatus({ publicClient: client, contracts, operator, blsKeyPair });
    io.out(flags.json ? toJson(report) : formatStatus(report));
  });
}

function amount(value: bigint): string {
  return `${formatUnits(value, 18)} (${value})`;
}

export function formatStatus(report: OperatorStatusReport): string {
  const lines = [
    `operator     ${report.operator}`,
    `chain        ${report.chainId} (registry coordinator ${report.registryCoordinator})`,
    `delegation   ${report.delegationOperator ? "registered as an operator" : "not an operator"}`,
    `AVS          ${report.avsStatus}`,
    `operatorId   ${report.operatorId ?? "(none: no BLS key registered)"}`,
  ];
  if (report.socket !== undefined) lines.push(`socket       ${report.socket}`);
  if (report.registeredPubkeys) {
    lines.push(`pubkey G1    ${formatG1(report.registeredPubkeys.G1)}`);
    lines.push(`pubkey G2    ${formatG2(report.registeredPubkeys.G2)}`);
  }
  if (report.localKey) {
    const match =
      report.localKey.matchesChain === undefined
        ? "not registered yet"
        : report.localKey.matchesChain
          ? "matches the registered key"
          : "DIFFERS from the registered key";
    lines.push(`local key    operatorId ${report.localKey.operatorId} (${match})`);
  }
  const table = [
    ["quorum", "registered", "stake (recorded)", "weight (current shares)", "minimum stake"],
    ...report.quorums.map((q) => [
      String(q.quorumNumber),
      q.registered ? "yes" : "no",
      amount(q.stake),
      amount(q.weight),
      amount(q.minimumStake),
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table)
    lines.push(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    );
  return lines.join("\n");
}
