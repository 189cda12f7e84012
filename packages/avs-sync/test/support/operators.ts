// Registers many operators on a local anvil quickly, for the anvil tests and the benchmark.
// Every transaction is signed locally with an explicit nonce, gas limit and fees and sent
// without waiting (anvil mines each on arrival), and JSON-RPC calls go out in batches; balances
// come from anvil_setBalance. None of this is what avs-sync does or what the benchmark
// measures: only the sync transaction is measured.
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
} from "@avskit/bls";
import {
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createPublicClient,
  encodeFunctionData,
  type Hash,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  toHex,
  zeroAddress,
  zeroHash,
} from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

export type Client = PublicClient<Transport, Chain>;

export const E18 = 10n ** 18n;
const MAX_FEE = 50_000_000_000n;
const TIP = 1_000_000_000n;

/** A public client whose concurrent calls go out as JSON-RPC batches. */
export function batchingClient(rpcUrl: string, chain: Chain): Client {
  return createPublicClient({
    chain,
    transport: http(rpcUrl, { batch: { batchSize: 500, wait: 0 }, timeout: 60_000 }),
    pollingInterval: 50,
  }) as Client;
}

/** Sends transactions signed locally, tracking each sender's nonce. */
export class Sender {
  readonly #client: Client;
  /** Next nonce per sender, as a promise chain so concurrent sends never share one. */
  readonly #nonces = new Map<Address, Promise<number>>();

  constructor(client: Client) {
    this.#client = client;
  }

  #nonce(account: PrivateKeyAccount): Promise<number> {
    const previous =
      this.#nonces.get(account.address) ??
      this.#client.getTransactionCount({ address: account.address, blockTag: "pending" }).then((n) => n - 1);
    const next = previous.then((n) => n + 1);
    this.#nonces.set(account.address, next);
    return next;
  }

  /** Signs and sends a call; resolves with its hash once the node accepted it (not mined). */
  async call<const A extends Abi, F extends ContractFunctionName<A, "nonpayable" | "payable">>(
    account: PrivateKeyAccount,
    to: Address,
    abi: A,
    functionName: F,
    args: ContractFunctionArgs<A, "nonpayable" | "payable", F>,
    options: { gas?: bigint; tip?: bigint } = {},
  ): Promise<Hash> {
    const data = encodeFunctionData({ abi, functionName, args } as never);
    const nonce = await this.#nonce(account);
    const serializedTransaction = await account.signTransaction({
      type: "eip1559",
      chainId: this.#client.chain.id,
      nonce,
      to,
      data,
      gas: options.gas ?? 1_000_000n,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: options.tip ?? TIP,
    });
    return this.#client.sendRawTransaction({ serializedTransaction });
  }

  /** Waits for every receipt and throws, naming the step, if any reverted. */
  async confirm(steps: readonly { what: string; hash: Hash }[]): Promise<void> {
    const receipts = await Promise.all(
      steps.map((step) =>
        this.#client.waitForTransactionReceipt({ hash: step.hash, pollingInterval: 50, timeout: 120_000 }),
      ),
    );
    const failed = receipts.findIndex((receipt) => receipt.status !== "success");
    if (failed >= 0) throw new Error(`${steps[failed]!.what} reverted (tx ${steps[failed]!.hash})`);
  }
}

export interface TestOperator {
  readonly account: PrivateKeyAccount;
  readonly address: Address;
  readonly bls: BlsKeyPair;
  readonly operatorId: Hex;
}

export interface AvsContext {
  readonly client: Client;
  readonly sender: Sender;
  readonly deployment: Deployment;
  /** Owns the AVS and mints the test tokens. */
  readonly deployer: PrivateKeyAccount;
}

export function newOperator(): TestOperator {
  const account = privateKeyToAccount(generatePrivateKey());
  const bls = generateKeyPair();
  return { account, address: account.address, bls, operatorId: operatorIdFromPublicKey(bls.publicKeyG1) };
}

/** Gives accounts ETH for gas, in one JSON-RPC batch. */
export async function fund(ctx: AvsContext, addresses: readonly Address[]): Promise<void> {
  await Promise.all(
    addresses.map((address) =>
      ctx.client.request({
        method: "anvil_setBalance" as never,
        params: [address, toHex(1000n * E18)] as never,
      }),
    ),
  );
}

function strategyOf(ctx: AvsContext, quorum: number): { strategy: Address; token: Address } {
  const entry = ctx.deployment.quorums[quorum]?.strategies[0];
  if (!entry) throw new Error(`quorum ${quorum} has no strategy`);
  return entry;
}

/** Mints `amount` of quorum `quorum`'s first token to each account and waits for it. */
export async function mint(
  ctx: AvsContext,
  quorum: number,
  to: readonly Address[],
  amount: bigint,
): Promise<void> {
  const { token } = strategyOf(ctx, quorum);
  const steps = await Promise.all(
    to.map(async (address) => ({
      what: `mint to ${address}`,
      hash: await ctx.sender.call(ctx.deployer, token, testTokenAbi, "mint", [address, amount], {
        gas: 100_000n,
      }),
    })),
  );
  await ctx.sender.confirm(steps);
}

/** approve + depositIntoStrategy of quorum `quorum`'s first strategy, sent without waiting. */
export async function sendDeposit(
  ctx: AvsContext,
  account: PrivateKeyAccount,
  quorum: number,
  amount: bigint,
): Promise<{ what: string; hash: Hash }[]> {
  const { strategy, token } = strategyOf(ctx, quorum);
  const strategyManager = ctx.deployment.restaking.strategyManager;
  if (!strategyManager) throw new Error("the deployment has no strategy manager");
  const approve = await ctx.sender.call(account, token, testTokenAbi, "approve", [strategyManager, amount], {
    gas: 100_000n,
  });
  const deposit = await ctx.sender.call(
    account,
    strategyManager,
    strategyManagerAbi,
    "depositIntoStrategy",
    [strategy, token, amount],
    { gas: 400_000n },
  );
  return [
    { what: `approve by ${account.address}`, hash: approve },
    { what: `deposit by ${account.address}`, hash: deposit },
  ];
}

/** Signs the AVSDirectory registration digest (EIP-712) the coordinator forwards. */
async function avsSignature(ctx: AvsContext, operator: TestOperator, expiry: bigint) {
  const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await ctx.client.readContract({
    address: ctx.deployment.restaking.avsDirectory,
    abi: avsDirectoryAbi,
    functionName: "calculateOperatorAVSRegistrationDigestHash",
    args: [operator.address, ctx.deployment.contracts.serviceManager.proxy, salt, expiry],
  });
  return { signature: await operator.account.sign({ hash: digest }), salt, expiry };
}

/** The coordinator's registerOperator for `quorums`, with the BLS proof of possession; not waited for. */
export async function sendRegistration(
  ctx: AvsContext,
  operator: TestOperator,
  quorums: readonly number[],
  options: { tip?: bigint } = {},
): Promise<{ what: string; hash: Hash }> {
  const coordinator = ctx.deployment.contracts.registryCoordinator.proxy;
  const [messagePoint, block] = await Promise.all([
    ctx.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "pubkeyRegistrationMessageHash",
      args: [operator.address],
    }),
    ctx.client.getBlock({ blockTag: "latest" }),
  ]);
  const params = buildPubkeyRegistration(
    operator.bls,
    g1FromSolidity({ X: messagePoint.X, Y: messagePoint.Y }),
  );
  const signature = await avsSignature(ctx, operator, block.timestamp + 86_400n);
  const quorumBytes = toHex(Uint8Array.from(quorums));
  const hash = await ctx.sender.call(
    operator.account,
    coordinator,
    registryCoordinatorAbi,
    "registerOperator",
    [quorumBytes, `operator-${operator.address}`, params, signature],
    { gas: 3_000_000n, ...(options.tip !== undefined ? { tip: options.tip } : {}) },
  );
  return { what: `registration of ${operator.address}`, hash };
}

/**
 * Everything short of the AVS registration: `stake` deposited in the first strategy of each of
 * `stakeQuorums`, and the operator registered in the delegation contract.
 */
export async function prepareOperators(
  ctx: AvsContext,
  operators: readonly TestOperator[],
  stakeQuorums: readonly number[],
  stake: bigint,
) {
  const addresses = operators.map((o) => o.address);
  await fund(ctx, addresses);
  for (const quorum of stakeQuorums) await mint(ctx, quorum, addresses, stake);
  const steps = (
    await Promise.all(
      operators.map(async (operator) => {
        const deposits = [];
        for (const quorum of stakeQuorums)
          deposits.push(...(await sendDeposit(ctx, operator.account, quorum, stake)));
        const asOperator = await ctx.sender.call(
          operator.account,
          ctx.deployment.restaking.delegationManager,
          delegationManagerAbi,
          "registerAsOperator",
          [
            {
              __deprecated_earningsReceiver: operator.address,
              delegationApprover: zeroAddress,
              stakerOptOutWindowBlocks: 0,
            },
            "",
          ],
          { gas: 300_000n },
        );
        return [...deposits, { what: `registerAsOperator by ${operator.address}`, hash: asOperator }];
      }),
    )
  ).flat();
  await ctx.sender.confirm(steps);
}

/** Creates `count` operators, each with `stake` in every quorum of `quorums`, registered in them. */
export async function registerOperators(
  ctx: AvsContext,
  count: number,
  options: { quorums: readonly number[]; stake: bigint },
): Promise<TestOperator[]> {
  const operators = Array.from({ length: count }, newOperator);
  await prepareOperators(ctx, operators, options.quorums, options.stake);
  const registrations = await Promise.all(
    operators.map((operator) => sendRegistration(ctx, operator, options.quorums)),
  );
  await ctx.sender.confirm(registrations);
  return operators;
}

/** A staker deposits and delegates to `operator`: the operator's weight grows, its recorded stake does not. */
export async function delegateStake(
  ctx: AvsContext,
  staker: PrivateKeyAccount,
  operator: Address,
  quorum: number,
  amount: bigint,
) {
  await fund(ctx, [staker.address]);
  await mint(ctx, quorum, [staker.address], amount);
  const deposit = await sendDeposit(ctx, staker, quorum, amount);
  const delegate = await ctx.sender.call(
    staker,
    ctx.deployment.restaking.delegationManager,
    delegationManagerAbi,
    "delegateTo",
    [operator, { signature: "0x", expiry: 0n }, zeroHash],
    { gas: 300_000n },
  );
  await ctx.sender.confirm([...deposit, { what: "delegateTo", hash: delegate }]);
}
