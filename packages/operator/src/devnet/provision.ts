import { testTokenAbi } from "@avskit/bindings";
import { type BlsKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import { connectChain, type ReadClient, type WriteClient, walletFor } from "@avskit/runtime";
import { type Account, type Address, type Hex, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type AvsContracts, resolveAvsContracts } from "../chain/contracts.js";
import { sendTransaction } from "../chain/transactions.js";
import { createBlsKey, loadBlsKey } from "../keys/bls-keys.js";
import { createEcdsaKey, loadEcdsaKey } from "../keys/ecdsa-keys.js";
import { keyFilePath } from "../keys/key-files.js";
import {
  defaultStrategies,
  type RegisterOperatorResult,
  registerOperator,
  underlyingToken,
} from "../registration/register.js";

/**
 * Gives a local-chain account gas money and test tokens. `funder` must own the tokens'
 * `mint` (the deployer of the restaking stand-in's TestTokens). For devnets and tests only.
 */
export async function fundOperator(options: {
  publicClient: ReadClient;
  funder: WriteClient;
  operator: Address;
  ether?: bigint;
  tokens?: readonly { token: Address; amount: bigint }[];
}): Promise<void> {
  const { publicClient, funder, operator } = options;
  if (options.ether !== undefined && options.ether > 0n) {
    const hash = await funder.sendTransaction({ to: operator, value: options.ether, chain: funder.chain });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  for (const { token, amount } of options.tokens ?? []) {
    await sendTransaction(publicClient, funder, `mint ${amount} of test token ${token}`, {
      address: token,
      abi: testTokenAbi,
      functionName: "mint",
      args: [operator, amount],
    });
  }
}

export interface ProvisionOperatorOptions {
  readonly rpcUrl: string;
  readonly registryCoordinator?: Address;
  readonly deploymentsDir?: string;
  /** Owner of the test tokens and holder of gas money (the devnet deployer). */
  readonly funderPrivateKey: Hex;
  readonly keysDir: string;
  /** Key files `<name>.bls.key.json` and `<name>.ecdsa.key.json`; reused when they exist. */
  readonly name: string;
  readonly password: string;
  readonly quorums: readonly number[];
  /** Minted and deposited into the first strategy of each quorum, in token base units. */
  readonly depositAmount: bigint;
  /** Gas money (default 10 ETH). */
  readonly ether?: bigint;
  readonly socket?: string;
  /** Cheap scrypt for throwaway keys (default true: these are devnet keys). */
  readonly insecureKdf?: boolean;
  readonly log?: (line: string) => void;
}

export interface ProvisionedOperator {
  readonly name: string;
  readonly address: Address;
  readonly operatorId: Hex;
  readonly blsKeyPath: string;
  readonly ecdsaKeyPath: string;
  readonly blsKeyPair: BlsKeyPair;
  readonly account: Account;
  readonly contracts: AvsContracts;
  readonly registration: RegisterOperatorResult;
}

async function existingOr<T>(load: () => Promise<T>, create: () => Promise<unknown>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as Error).name !== "KeyNotFoundError") throw error;
    await create();
    return load();
  }
}

/**
 * For a devnet: creates (or reuses) an operator's BLS and ECDSA key files, funds the account
 * with gas and test tokens, and registers it to the quorums with a deposit in each. What the
 * `npm start` orchestrator calls once per operator before starting `run`.
 */
export async function provisionDevnetOperator(
  options: ProvisionOperatorOptions,
): Promise<ProvisionedOperator> {
  const insecureKdf = options.insecureKdf ?? true;
  const keyOptions = {
    keysDir: options.keysDir,
    name: options.name,
    password: options.password,
    insecureKdf,
  };
  const blsKeyPath = keyFilePath(options.keysDir, options.name, "bls");
  const ecdsaKeyPath = keyFilePath(options.keysDir, options.name, "ecdsa");
  const blsKeyPair = await existingOr(
    () => loadBlsKey(blsKeyPath, options.password),
    () => createBlsKey(keyOptions),
  );
  const account = await existingOr(
    () => loadEcdsaKey(ecdsaKeyPath, options.password),
    () => createEcdsaKey(keyOptions),
  );

  const clientOptions = { rpcUrl: options.rpcUrl, pollingIntervalMs: 200 };
  const publicClient = await connectChain(clientOptions);
  const contracts = await resolveAvsContracts(publicClient, {
    registryCoordinator: options.registryCoordinator,
    deploymentsDir: options.deploymentsDir,
  });
  const strategies = await defaultStrategies(publicClient, contracts, options.quorums);
  const tokens = await Promise.all(strategies.map((strategy) => underlyingToken(publicClient, strategy)));
  const funder = walletFor(publicClient, privateKeyToAccount(options.funderPrivateKey), clientOptions);
  options.log?.(`${options.name}: funding ${account.address}`);
  await fundOperator({
    publicClient,
    funder,
    operator: account.address,
    ether: options.ether ?? parseEther("10"),
    tokens: tokens.map((token) => ({ token, amount: options.depositAmount })),
  });
  const registration = await registerOperator({
    publicClient,
    walletClient: walletFor(publicClient, account, clientOptions),
    contracts,
    blsKeyPair,
    quorums: options.quorums,
    socket: options.socket ?? `devnet-${options.name}`,
    deposits: strategies.map((strategy) => ({ strategy, amount: options.depositAmount })),
    log: options.log ? (line) => options.log?.(`${options.name}: ${line}`) : undefined,
  });
  return {
    name: options.name,
    address: account.address,
    operatorId: operatorIdFromPublicKey(blsKeyPair.publicKeyG1),
    blsKeyPath,
    ecdsaKeyPath,
    blsKeyPair,
    account,
    contracts,
    registration,
  };
}
