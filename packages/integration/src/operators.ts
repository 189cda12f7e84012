import {
  avsDirectoryAbi,
  type Deployment,
  delegationManagerAbi,
  registryCoordinatorAbi,
  strategyManagerAbi,
  testTokenAbi,
} from "@avskit/bindings";
import {
  type BlsKeyPair,
  buildPubkeyRegistration,
  g1FromSolidity,
  generateKeyPair,
  operatorIdFromPublicKey,
  type PubkeyRegistrationParams,
} from "@avskit/bls";
import { type Address, getAddress, type Hex, isAddressEqual, toHex, zeroAddress, zeroHash } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import type { TestAvs } from "./avs.js";
import { InvalidHelperInputError } from "./errors.js";
import type { SentTx } from "./sender.js";

export const E18 = 10n ** 18n;
/** ETH each helper-made account receives for gas (anvil_setBalance). */
const GAS_MONEY = 1_000n * E18;

/** An amount of a strategy's underlying token, deposited 1:1 into shares by the stand-in vaults. */
export interface StakeAmount {
  readonly strategy: Address;
  readonly amount: bigint;
}

/** An operator's keys: ECDSA account (its address is the operator) and BLS key pair. */
export interface OperatorIdentity {
  readonly account: PrivateKeyAccount;
  readonly address: Address;
  readonly bls: BlsKeyPair;
  /** keccak256(pkG1.X ‖ pkG1.Y). */
  readonly operatorId: Hex;
}

export interface OperatorSpec {
  /** AVS quorums to register for; empty = restaking side only (not registered with the AVS). */
  readonly quorums: readonly number[];
  /** The operator's own deposits (count as its shares: operators are delegated to themselves). */
  readonly deposits?: readonly StakeAmount[];
  /** One entry per separate staker: what that staker deposits and delegates to the operator. */
  readonly delegations?: readonly (readonly StakeAmount[])[];
  /** Socket string registered with the coordinator; `operator-<address>` when omitted. */
  readonly socket?: string;
  /** Use these keys instead of fresh random ones. */
  readonly identity?: OperatorIdentity;
}

export interface TestOperator extends OperatorIdentity {
  /** Quorums it was registered for (empty if only prepared). */
  readonly quorums: readonly number[];
  /** The stakers that delegated to it, in `delegations` order. */
  readonly stakers: readonly PrivateKeyAccount[];
}

/** Fresh random ECDSA and BLS keys. */
export function newOperatorIdentity(): OperatorIdentity {
  const account = privateKeyToAccount(generatePrivateKey());
  const bls = generateKeyPair();
  return { account, address: account.address, bls, operatorId: operatorIdFromPublicKey(bls.publicKeyG1) };
}

/** `bytes quorumNumbers` as the contracts take it: one byte per quorum, strictly ascending. */
export function quorumNumbersBytes(quorums: readonly number[]): Hex {
  if (quorums.length === 0) throw new InvalidHelperInputError("quorum list is empty");
  quorums.forEach((quorum, i) => {
    if (!Number.isInteger(quorum) || quorum < 0 || quorum > 191) {
      throw new InvalidHelperInputError(`quorum ${quorum} is not a quorum number (0..191)`);
    }
    if (i > 0 && quorum <= quorums[i - 1]!) {
      throw new InvalidHelperInputError(`quorums must be strictly ascending, got [${quorums.join(", ")}]`);
    }
  });
  return toHex(Uint8Array.from(quorums));
}

/** Strategy `index` of quorum `quorum` in the deployment. */
export function strategyOf(deployment: Deployment, quorum: number, index = 0): Address {
  const strategy = deployment.quorums[quorum]?.strategies[index]?.strategy;
  if (!strategy) throw new InvalidHelperInputError(`quorum ${quorum} has no strategy #${index}`);
  return strategy;
}

function tokenOf(deployment: Deployment, strategy: Address): Address {
  for (const quorum of deployment.quorums) {
    const entry = quorum.strategies.find((s) => isAddressEqual(s.strategy, strategy));
    if (entry) return entry.token;
  }
  throw new InvalidHelperInputError(`strategy ${strategy} is not one of the deployment's quorum strategies`);
}

function strategyManagerOf(deployment: Deployment): Address {
  const strategyManager = deployment.restaking.strategyManager;
  if (!strategyManager) {
    throw new InvalidHelperInputError("the deployment records no StrategyManager: cannot deposit");
  }
  return strategyManager;
}

/** Sums per token (one mint and one approval per token and account). */
function totalsPerToken(deployment: Deployment, stakes: readonly StakeAmount[]): Map<Address, bigint> {
  const totals = new Map<Address, bigint>();
  for (const { strategy, amount } of stakes) {
    if (amount <= 0n) throw new InvalidHelperInputError(`deposit of ${amount} into ${strategy}`);
    const token = tokenOf(deployment, strategy);
    totals.set(token, (totals.get(token) ?? 0n) + amount);
  }
  return totals;
}

/** Mints `stakes`' tokens to `account` (by the deployer, the TestTokens' owner): one tx per token. */
function sendMints(avs: TestAvs, to: Address, stakes: readonly StakeAmount[]): Promise<SentTx>[] {
  return [...totalsPerToken(avs.deployment, stakes)].map(([token, amount]) =>
    avs.sender.sendLabelled(`mint ${amount} of ${token} to ${to}`, avs.deployer, {
      to: token,
      abi: testTokenAbi,
      functionName: "mint",
      args: [to, amount],
      gas: 120_000n,
    }),
  );
}

/** approve + depositIntoStrategy for each stake, in nonce order. */
async function sendDeposits(
  avs: TestAvs,
  account: PrivateKeyAccount,
  stakes: readonly StakeAmount[],
): Promise<SentTx[]> {
  const strategyManager = strategyManagerOf(avs.deployment);
  const sent: Promise<SentTx>[] = [];
  for (const [token, amount] of totalsPerToken(avs.deployment, stakes)) {
    sent.push(
      avs.sender.sendLabelled(`approve by ${account.address}`, account, {
        to: token,
        abi: testTokenAbi,
        functionName: "approve",
        args: [strategyManager, amount],
        gas: 100_000n,
      }),
    );
  }
  for (const { strategy, amount } of stakes) {
    sent.push(
      avs.sender.sendLabelled(`deposit into ${strategy} by ${account.address}`, account, {
        to: strategyManager,
        abi: strategyManagerAbi,
        functionName: "depositIntoStrategy",
        args: [strategy, tokenOf(avs.deployment, strategy), amount],
        gas: 400_000n,
      }),
    );
  }
  return Promise.all(sent);
}

/**
 * Mints, approves and deposits for many accounts (which already have gas money) in two
 * confirmed waves: all mints, then every account's approvals and deposits.
 */
export function depositStake(
  avs: TestAvs,
  entries: readonly { account: PrivateKeyAccount; stakes: readonly StakeAmount[] }[],
): Promise<void> {
  return avs.sender.bulk(async () => {
    await avs.sender.confirm(
      await Promise.all(entries.flatMap(({ account, stakes }) => sendMints(avs, account.address, stakes))),
    );
    await avs.sender.confirm(
      (await Promise.all(entries.map(({ account, stakes }) => sendDeposits(avs, account, stakes)))).flat(),
    );
  });
}

/**
 * A new staker (fresh key, gas money) deposits `stakes` and delegates them to `operator`, which
 * must already be registered in the delegation contract. The operator's shares grow at once;
 * its recorded AVS stake only at the next stake update. Returns the staker.
 */
export async function delegateFromNewStaker(
  avs: TestAvs,
  operator: Address,
  stakes: readonly StakeAmount[],
): Promise<PrivateKeyAccount> {
  const staker = privateKeyToAccount(generatePrivateKey());
  await avs.setBalance(staker.address, GAS_MONEY);
  await avs.sender.confirm(await Promise.all(sendMints(avs, staker.address, stakes)));
  const deposits = await sendDeposits(avs, staker, stakes);
  const delegate = await avs.sender.sendLabelled(`delegateTo ${operator} by ${staker.address}`, staker, {
    to: avs.deployment.restaking.delegationManager,
    abi: delegationManagerAbi,
    functionName: "delegateTo",
    args: [operator, { signature: "0x", expiry: 0n }, zeroHash],
    gas: 500_000n,
  });
  await avs.sender.confirm([...deposits, delegate]);
  return staker;
}

interface Prepared {
  identity: OperatorIdentity;
  spec: OperatorSpec;
  stakers: PrivateKeyAccount[];
}

/**
 * The restaking side for many operators, in three confirmed waves: (1) ETH for gas
 * (anvil_setBalance); (2) token mints and `registerAsOperator`; (3) approvals, deposits and the
 * stakers' `delegateTo`. Returns operators that are not yet registered with the AVS.
 */
export function prepareOperators(avs: TestAvs, specs: readonly OperatorSpec[]): Promise<TestOperator[]> {
  return avs.sender.bulk(() => prepareInBulk(avs, specs));
}

async function prepareInBulk(avs: TestAvs, specs: readonly OperatorSpec[]): Promise<TestOperator[]> {
  const prepared: Prepared[] = specs.map((spec) => ({
    identity: spec.identity ?? newOperatorIdentity(),
    spec,
    stakers: (spec.delegations ?? []).map(() => privateKeyToAccount(generatePrivateKey())),
  }));
  const accounts = prepared.flatMap((p) => [p.identity.address, ...p.stakers.map((s) => s.address)]);
  await Promise.all(accounts.map((address) => avs.setBalance(address, GAS_MONEY)));

  const wave1: Promise<SentTx>[] = [];
  for (const { identity, spec, stakers } of prepared) {
    wave1.push(...sendMints(avs, identity.address, spec.deposits ?? []));
    stakers.forEach((staker, i) => {
      wave1.push(...sendMints(avs, staker.address, spec.delegations![i]!));
    });
    wave1.push(
      avs.sender.sendLabelled(`registerAsOperator by ${identity.address}`, identity.account, {
        to: avs.deployment.restaking.delegationManager,
        abi: delegationManagerAbi,
        functionName: "registerAsOperator",
        args: [
          {
            __deprecated_earningsReceiver: identity.address,
            delegationApprover: zeroAddress,
            stakerOptOutWindowBlocks: 0,
          },
          "",
        ],
        gas: 300_000n,
      }),
    );
  }
  await avs.sender.confirm(await Promise.all(wave1));

  const wave2: Promise<SentTx[]>[] = [];
  for (const { identity, spec, stakers } of prepared) {
    if ((spec.deposits ?? []).length > 0) wave2.push(sendDeposits(avs, identity.account, spec.deposits!));
    stakers.forEach((staker, i) => {
      wave2.push(
        (async () => {
          const deposits = await sendDeposits(avs, staker, spec.delegations![i]!);
          const delegate = await avs.sender.sendLabelled(
            `delegateTo ${identity.address} by ${staker.address}`,
            staker,
            {
              to: avs.deployment.restaking.delegationManager,
              abi: delegationManagerAbi,
              functionName: "delegateTo",
              args: [identity.address, { signature: "0x", expiry: 0n }, zeroHash],
              gas: 500_000n,
            },
          );
          return [...deposits, delegate];
        })(),
      );
    });
  }
  await avs.sender.confirm((await Promise.all(wave2)).flat());

  return prepared.map(({ identity, stakers }) => ({ ...identity, quorums: [], stakers }));
}

/** What `registerOperator` takes, built the way an operator would: PoP and AVSDirectory signature. */
export interface RegistrationArgs {
  readonly quorumNumbers: Hex;
  readonly socket: string;
  readonly params: PubkeyRegistrationParams;
  readonly operatorSignature: { signature: Hex; salt: Hex; expiry: bigint };
}

export interface RegistrationOptions {
  socket?: string;
  /** AVSDirectory signature expiry (unix seconds); one day after the latest block when omitted. */
  expiry?: bigint;
  /** AVSDirectory salt; random when omitted. */
  salt?: Hex;
}

/**
 * Builds `registerOperator`'s arguments: the proof of possession over the coordinator's
 * `pubkeyRegistrationMessageHash(operator)` and the operator's ECDSA signature over the
 * AVSDirectory's EIP-712 registration digest (with the service manager as the AVS).
 */
export async function registrationArgs(
  avs: TestAvs,
  operator: OperatorIdentity,
  quorums: readonly number[],
  options: RegistrationOptions = {},
): Promise<RegistrationArgs> {
  const quorumNumbers = quorumNumbersBytes(quorums);
  const salt = options.salt ?? toHex(crypto.getRandomValues(new Uint8Array(32)));
  const expiry = options.expiry ?? (await avs.client.getBlock({ blockTag: "latest" })).timestamp + 86_400n;
  const [messagePoint, digest] = await Promise.all([
    avs.client.readContract({
      address: avs.deployment.contracts.registryCoordinator.proxy,
      abi: registryCoordinatorAbi,
      functionName: "pubkeyRegistrationMessageHash",
      args: [operator.address],
    }),
    avs.client.readContract({
      address: avs.deployment.restaking.avsDirectory,
      abi: avsDirectoryAbi,
      functionName: "calculateOperatorAVSRegistrationDigestHash",
      args: [operator.address, avs.deployment.contracts.serviceManager.proxy, salt, expiry],
    }),
  ]);
  const params = buildPubkeyRegistration(operator.bls, g1FromSolidity(messagePoint));
  const signature = await operator.account.sign({ hash: digest });
  return {
    quorumNumbers,
    socket: options.socket ?? `operator-${operator.address}`,
    params,
    operatorSignature: { signature, salt, expiry },
  };
}

/** The tuple `registerOperator` takes. */
export function registerOperatorCallArgs(args: RegistrationArgs) {
  return [args.quorumNumbers, args.socket, args.params, args.operatorSignature] as const;
}

/** Registers already-prepared operators with the AVS (one confirmed wave). */
export function registerWithAvs(
  avs: TestAvs,
  entries: readonly { operator: OperatorIdentity; quorums: readonly number[]; socket?: string }[],
): Promise<void> {
  return avs.sender.bulk(() => registerInBulk(avs, entries));
}

async function registerInBulk(
  avs: TestAvs,
  entries: readonly { operator: OperatorIdentity; quorums: readonly number[]; socket?: string }[],
): Promise<void> {
  const expiry = (await avs.client.getBlock({ blockTag: "latest" })).timestamp + 86_400n;
  const sent = await Promise.all(
    entries.map(async ({ operator, quorums, socket }) => {
      const args = await registrationArgs(avs, operator, quorums, {
        expiry,
        ...(socket !== undefined ? { socket } : {}),
      });
      return avs.sender.sendLabelled(`registerOperator by ${operator.address}`, operator.account, {
        to: avs.deployment.contracts.registryCoordinator.proxy,
        abi: registryCoordinatorAbi,
        functionName: "registerOperator",
        args: registerOperatorCallArgs(args),
        gas: 3_000_000n,
      });
    }),
  );
  await avs.sender.confirm(sent);
}

/**
 * Creates operators end to end: keys, gas money, tokens, deposits, delegations from separate
 * stakers, `registerAsOperator`, then `registerOperator` with the AVS for those with quorums.
 * Every wave is batched with explicit nonces, so hundreds of operators take seconds.
 */
export async function registerOperators(
  avs: TestAvs,
  specs: readonly OperatorSpec[],
): Promise<TestOperator[]> {
  const operators = await prepareOperators(avs, specs);
  const toRegister = operators
    .map((operator, i) => ({ operator, quorums: specs[i]!.quorums, socket: specs[i]!.socket }))
    .filter((entry) => entry.quorums.length > 0);
  if (toRegister.length > 0) {
    await registerWithAvs(
      avs,
      toRegister.map(({ operator, quorums, socket }) => ({
        operator,
        quorums,
        ...(socket !== undefined ? { socket } : {}),
      })),
    );
  }
  return operators.map((operator, i) => ({ ...operator, quorums: [...specs[i]!.quorums] }));
}

/** Checksummed address, for comparing and sorting operator lists. */
export function sortedAddresses(addresses: readonly Address[]): Address[] {
  return addresses.map((a) => getAddress(a)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}
