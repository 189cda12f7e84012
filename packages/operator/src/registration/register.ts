import { randomBytes } from "node:crypto";
import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  delegationManagerAbi,
  iStrategyAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
  strategyManagerAbi,
} from "@avskit/bindings";
import {
  type BlsKeyPair,
  buildPubkeyRegistration,
  g1FromSolidity,
  operatorIdFromPublicKey,
} from "@avskit/bls";
import type { ReadClient, WriteClient } from "@avskit/runtime";
import {
  type Address,
  erc20Abi,
  type Hash,
  type Hex,
  isAddressEqual,
  toHex,
  zeroAddress,
  zeroHash,
} from "viem";
import type { AvsContracts } from "../chain/contracts.js";
import { sendTransaction } from "../chain/transactions.js";
import { InsufficientBalanceError, InvalidUsageError, RegistrationStateError } from "../errors.js";
import { bitmapOf, quorumNumbersToBytes, quorumsInBitmap } from "./quorums.js";

export interface Deposit {
  readonly strategy: Address;
  /** In the strategy's token base units. */
  readonly amount: bigint;
}

export interface RegisterOperatorOptions {
  readonly publicClient: ReadClient;
  /** Carries the operator's ECDSA account: it sends every transaction and signs the AVS registration. */
  readonly walletClient: WriteClient;
  readonly contracts: AvsContracts;
  readonly blsKeyPair: BlsKeyPair;
  readonly quorums: readonly number[];
  /** How to reach the operator, recorded on-chain. */
  readonly socket: string;
  /** Deposited before registering (each amount is added to what is already there). */
  readonly deposits?: readonly Deposit[];
  /** Emitted by the delegation contract when the operator registers there. */
  readonly metadataUri?: string;
  /** Lifetime of the AVS registration signature (default one hour of chain time). */
  readonly signatureTtlSeconds?: number;
  /** One line per step; silent when omitted. */
  readonly log?: (line: string) => void;
}

export interface RegisterOperatorResult {
  readonly operator: Address;
  readonly operatorId: Hex;
  readonly deposits: readonly { strategy: Address; token: Address; amount: bigint }[];
  readonly delegation: "registered" | "already-registered";
  readonly joinedQuorums: readonly number[];
  readonly alreadyInQuorums: readonly number[];
  /** True when stake was re-read for quorums the operator was already in (after a deposit). */
  readonly stakeUpdated: boolean;
  readonly transactions: readonly { step: string; hash: Hash }[];
}

/**
 * Makes the account an operator of the AVS, doing only what is not done yet: deposits (if
 * asked), registration in the delegation contract (skipped if already an operator), then
 * registration to the quorums it is not in yet, with the BLS proof of possession and the
 * signed AVS registration. Safe to run again: a second run with the same quorums sends nothing.
 */
export async function registerOperator(options: RegisterOperatorOptions): Promise<RegisterOperatorResult> {
  const { publicClient, walletClient, contracts, blsKeyPair } = options;
  const log = options.log ?? (() => undefined);
  const operator = walletClient.account.address;
  const operatorId = operatorIdFromPublicKey(blsKeyPair.publicKeyG1);
  const transactions: { step: string; hash: Hash }[] = [];
  const send = async (step: string, call: Parameters<typeof sendTransaction>[3]) => {
    log(`${step}…`);
    const receipt = await sendTransaction(publicClient, walletClient, step, call);
    transactions.push({ step, hash: receipt.transactionHash });
    log(`${step}: done in block ${receipt.blockNumber} (tx ${receipt.transactionHash})`);
    return receipt;
  };
  if (options.quorums.length === 0) throw new InvalidUsageError("give at least one quorum to register to");

  await assertKeyIsUsable(publicClient, contracts, operator, operatorId);

  const deposited: { strategy: Address; token: Address; amount: bigint }[] = [];
  for (const deposit of options.deposits ?? []) {
    if (deposit.amount <= 0n) continue;
    deposited.push(await depositIntoStrategy(publicClient, contracts, operator, deposit, send));
  }

  let delegation: RegisterOperatorResult["delegation"] = "already-registered";
  const isOperator = await publicClient.readContract({
    address: contracts.delegationManager,
    abi: delegationManagerAbi,
    functionName: "isOperator",
    args: [operator],
  });
  if (isOperator) {
    log(`${operator} is already an operator in the delegation contract`);
  } else {
    await send("register as operator in the delegation contract", {
      address: contracts.delegationManager,
      abi: delegationManagerAbi,
      functionName: "registerAsOperator",
      args: [
        {
          __deprecated_earningsReceiver: operator,
          delegationApprover: zeroAddress,
          stakerOptOutWindowBlocks: 0,
        },
        options.metadataUri ?? "",
      ],
    });
    delegation = "registered";
  }

  const current = await publicClient.readContract({
    address: contracts.registryCoordinator,
    abi: registryCoordinatorAbi,
    functionName: "getCurrentQuorumBitmap",
    args: [operatorId],
  });
  const alreadyInQuorums = quorumsInBitmap(current & bitmapOf(options.quorums));
  const toJoin = quorumsInBitmap(bitmapOf(options.quorums) & ~current);
  if (alreadyInQuorums.length > 0) log(`already registered in quorum(s) ${alreadyInQuorums.join(", ")}`);

  let stakeUpdated = false;
  if (deposited.length > 0 && current !== 0n) {
    // Registries record stake when it is updated; refresh it so the deposit counts now.
    await send("update the operator's recorded stake", {
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "updateOperators",
      args: [[operator]],
    });
    stakeUpdated = true;
  }

  if (toJoin.length > 0) {
    const messagePoint = await publicClient.readContract({
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "pubkeyRegistrationMessageHash",
      args: [operator],
    });
    const params = buildPubkeyRegistration(
      blsKeyPair,
      g1FromSolidity({ X: messagePoint.X, Y: messagePoint.Y }),
    );
    const signature = await signAvsRegistration(options, operator, options.signatureTtlSeconds ?? 3600);
    await send(`register to quorum(s) ${toJoin.join(", ")}`, {
      address: contracts.registryCoordinator,
      abi: registryCoordinatorAbi,
      functionName: "registerOperator",
      args: [quorumNumbersToBytes(toJoin), options.socket, params, signature],
    });
  } else {
    log("nothing to join: already in every requested quorum");
  }

  return {
    operator,
    operatorId,
    deposits: deposited,
    delegation,
    joinedQuorums: toJoin,
    alreadyInQuorums,
    stakeUpdated,
    transactions,
  };
}

/** Keys cannot be replaced on-chain: catch a mismatch before sending anything. */
async function assertKeyIsUsable(
  publicClient: ReadClient,
  contracts: AvsContracts,
  operator: Address,
  operatorId: Hex,
): Promise<void> {
  const [registeredId, owner] = await Promise.all([
    publicClient.readContract({
      address: contracts.blsApkRegistry,
      abi: blsApkRegistryAbi,
      functionName: "getOperatorId",
      args: [operator],
    }),
    publicClient.readContract({
      address: contracts.blsApkRegistry,
      abi: blsApkRegistryAbi,
      functionName: "getOperatorFromPubkeyHash",
      args: [operatorId],
    }),
  ]);
  if (registeredId !== zeroHash && registeredId.toLowerCase() !== operatorId.toLowerCase()) {
    throw new RegistrationStateError(
      `${operator} registered another BLS key before (operatorId ${registeredId}); this key's operatorId is ${operatorId}, and keys cannot be replaced`,
    );
  }
  if (owner !== zeroAddress && !isAddressEqual(owner, operator)) {
    throw new RegistrationStateError(
      `this BLS key (operatorId ${operatorId}) is already registered by ${owner}`,
    );
  }
}

async function depositIntoStrategy(
  publicClient: ReadClient,
  contracts: AvsContracts,
  operator: Address,
  deposit: Deposit,
  send: (step: string, call: Parameters<typeof sendTransaction>[3]) => Promise<unknown>,
): Promise<{ strategy: Address; token: Address; amount: bigint }> {
  const strategyManager = contracts.strategyManager;
  if (strategyManager === undefined) {
    throw new InvalidUsageError("the delegation contract does not name its strategy manager: cannot deposit");
  }
  const token = await underlyingToken(publicClient, deposit.strategy);
  const [balance, allowance] = await Promise.all([
    publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [operator] }),
    publicClient.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [operator, strategyManager],
    }),
  ]);
  if (balance < deposit.amount) throw new InsufficientBalanceError(token, deposit.amount, balance);
  if (allowance < deposit.amount) {
    await send(`approve ${deposit.amount} of token ${token} for the strategy manager`, {
      address: token,
      abi: erc20Abi,
      functionName: "approve",
      args: [strategyManager, deposit.amount],
    });
  }
  await send(`deposit ${deposit.amount} of token ${token} into strategy ${deposit.strategy}`, {
    address: strategyManager,
    abi: strategyManagerAbi,
    functionName: "depositIntoStrategy",
    args: [deposit.strategy, token, deposit.amount],
  });
  return { strategy: deposit.strategy, token, amount: deposit.amount };
}

/** The operator's EIP-712 consent to join this AVS, as the AVS directory checks it. */
async function signAvsRegistration(
  options: RegisterOperatorOptions,
  operator: Address,
  ttlSeconds: number,
): Promise<{ signature: Hex; salt: Hex; expiry: bigint }> {
  const { publicClient, walletClient, contracts } = options;
  const account = walletClient.account;
  if (account.type !== "local" || account.sign === undefined) {
    throw new InvalidUsageError("registering needs a local ECDSA key that can sign a digest");
  }
  const salt = toHex(randomBytes(32));
  // Chain time, not wall-clock time: a devnet's clock may differ.
  const block = await publicClient.getBlock();
  const expiry = block.timestamp + BigInt(ttlSeconds);
  const digest = await publicClient.readContract({
    address: contracts.avsDirectory,
    abi: avsDirectoryAbi,
    functionName: "calculateOperatorAVSRegistrationDigestHash",
    args: [operator, contracts.serviceManager, salt, expiry],
  });
  return { signature: await account.sign({ hash: digest }), salt, expiry };
}

/** The first strategy of each quorum (deduplicated): where a default deposit goes. */
export async function defaultStrategies(
  publicClient: ReadClient,
  contracts: AvsContracts,
  quorums: readonly number[],
): Promise<Address[]> {
  const strategies = await Promise.all(
    quorums.map(async (quorumNumber) => {
      const params = await publicClient.readContract({
        address: contracts.stakeRegistry,
        abi: stakeRegistryAbi,
        functionName: "strategyParamsByIndex",
        args: [quorumNumber, 0n],
      });
      return params.strategy;
    }),
  );
  return strategies.filter((strategy, i) => strategies.findIndex((s) => isAddressEqual(s, strategy)) === i);
}

/** The token a strategy holds. */
export function underlyingToken(publicClient: ReadClient, strategy: Address): Promise<Address> {
  return publicClient.readContract({ address: strategy, abi: iStrategyAbi, functionName: "underlyingToken" });
}
