// Stake from deposits and delegations in the two devnet quorums, read back from the stake
// registry's block-stamped histories: "what was true at block N".
import {
  delegationManagerAbi,
  operatorStateRetrieverAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
  withAllErrors,
} from "@avskit/bindings";
import type { Address, Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  delegateFromNewStaker,
  E18,
  registerOperators,
  sortedAddresses,
  startTestAvs,
  strategyOf,
  type TestAvs,
  type TestOperator,
} from "../src/index.js";
import { expectRevert } from "./support.js";

let avs: TestAvs;
let stakeRegistry: Address;
let coordinator: Address;
// A: quorums 0 and 1, own deposits plus one staker's. B: quorum 0, mostly delegated stake.
let a: TestOperator;
let b: TestOperator;

beforeAll(async () => {
  avs = await startTestAvs();
  stakeRegistry = avs.deployment.contracts.stakeRegistry.proxy;
  coordinator = avs.deployment.contracts.registryCoordinator.proxy;
  const stETH = strategyOf(avs.deployment, 0);
  const eigen = strategyOf(avs.deployment, 1, 0);
  const usd = strategyOf(avs.deployment, 1, 1);
  // Two calls: B registers in a later block than A (one batch may share a block).
  [a] = (await registerOperators(avs, [
    {
      quorums: [0, 1],
      deposits: [
        { strategy: stETH, amount: 3n * E18 },
        { strategy: eigen, amount: 10n * E18 },
        { strategy: usd, amount: 8n * E18 },
      ],
      delegations: [
        [
          { strategy: stETH, amount: 2n * E18 },
          { strategy: usd, amount: 4n * E18 },
        ],
      ],
    },
  ])) as [TestOperator];
  [b] = (await registerOperators(avs, [
    {
      quorums: [0],
      deposits: [{ strategy: stETH, amount: E18 / 2n }],
      delegations: [[{ strategy: stETH, amount: 2n * E18 }]],
    },
  ])) as [TestOperator];
});

afterAll(async () => {
  await avs?.stop();
});

const stakeAt = (operatorId: Hex, quorum: number, block: number) =>
  avs.client.readContract({
    address: stakeRegistry,
    abi: stakeRegistryAbi,
    functionName: "getStakeAtBlockNumber",
    args: [operatorId, quorum, block],
  });

const currentStake = (operatorId: Hex, quorum: number) =>
  avs.client.readContract({
    address: stakeRegistry,
    abi: stakeRegistryAbi,
    functionName: "getCurrentStake",
    args: [operatorId, quorum],
  });

/** Total stake of `quorum` at `block`, through the index-checked path the signature checker uses. */
async function totalAt(quorum: number, block: number): Promise<bigint> {
  const [index] = await avs.client.readContract({
    address: stakeRegistry,
    abi: stakeRegistryAbi,
    functionName: "getTotalStakeIndicesAtBlockNumber",
    args: [block, `0x${quorum.toString(16).padStart(2, "0")}`],
  });
  return avs.client.readContract({
    address: stakeRegistry,
    abi: stakeRegistryAbi,
    functionName: "getTotalStakeAtBlockNumberFromIndex",
    args: [quorum, block, BigInt(index!)],
  });
}

async function quorumStateAt(quorum: number, block: number): Promise<Map<Hex, bigint>> {
  // getOperatorState is overloaded (quorum bytes or an operatorId): this is the quorum-bytes one.
  const state = (await avs.client.readContract({
    address: avs.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getOperatorState",
    args: [coordinator, `0x${quorum.toString(16).padStart(2, "0")}`, block],
  })) as unknown as readonly (readonly { operatorId: Hex; stake: bigint }[])[];
  return new Map(state[0]!.map((op) => [op.operatorId, op.stake] as const));
}

async function registrationBlock(operatorId: Hex, quorum: number): Promise<number> {
  const history = await avs.client.readContract({
    address: stakeRegistry,
    abi: stakeRegistryAbi,
    functionName: "getStakeHistory",
    args: [operatorId, quorum],
  });
  return history[0]!.updateBlockNumber;
}

describe("stake from deposits and delegations in 2 quorums", () => {
  it("weighs own and delegated shares with each quorum's multipliers", async () => {
    // Quorum 0: stETH 1:1 -> 3 + 2. Quorum 1: EIGEN 1:1, USD 1:2 -> 10 + (8 + 4) / 2.
    expect(await currentStake(a.operatorId, 0)).toBe(5n * E18);
    expect(await currentStake(a.operatorId, 1)).toBe(16n * E18);
    expect(await currentStake(b.operatorId, 0)).toBe((5n * E18) / 2n);
    expect(await currentStake(b.operatorId, 1)).toBe(0n);
    const shares = await avs.client.readContract({
      address: avs.deployment.restaking.delegationManager,
      abi: delegationManagerAbi,
      functionName: "getOperatorShares",
      args: [a.address, [strategyOf(avs.deployment, 0), strategyOf(avs.deployment, 1, 1)]],
    });
    expect(shares).toEqual([5n * E18, 12n * E18]);
  });

  it("answers stakes at the blocks around each registration", async () => {
    const aBlock = await registrationBlock(a.operatorId, 0);
    const bBlock = await registrationBlock(b.operatorId, 0);
    expect(bBlock).toBeGreaterThan(aBlock);
    expect(await stakeAt(a.operatorId, 0, aBlock - 1)).toBe(0n);
    expect(await stakeAt(a.operatorId, 0, aBlock)).toBe(5n * E18);
    expect(await stakeAt(a.operatorId, 1, aBlock)).toBe(16n * E18);
    expect(await totalAt(0, aBlock - 1)).toBe(0n);
    expect(await totalAt(0, aBlock)).toBe(5n * E18);
    expect(await totalAt(0, bBlock - 1)).toBe(5n * E18);
    expect(await totalAt(0, bBlock)).toBe((15n * E18) / 2n);
    expect(await totalAt(1, bBlock)).toBe(16n * E18);
  });

  it("a new delegation counts after updateOperators, and the history keeps the old stake", async () => {
    await delegateFromNewStaker(avs, a.address, [
      { strategy: strategyOf(avs.deployment, 0), amount: 5n * E18 },
    ]);
    const weight = await avs.client.readContract({
      address: stakeRegistry,
      abi: stakeRegistryAbi,
      functionName: "weightOfOperatorForQuorum",
      args: [0, a.address],
    });
    expect(weight).toBe(10n * E18);
    // Recorded stake moves only with an update.
    expect(await currentStake(a.operatorId, 0)).toBe(5n * E18);

    const sent = await avs.sender.sendLabelled("updateOperators", avs.deployer, {
      to: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "updateOperators",
      args: [[a.address]],
      gas: 1_000_000n,
    });
    const [receipt] = await avs.sender.confirm([sent]);
    const updateBlock = Number(receipt!.blockNumber);

    expect(await currentStake(a.operatorId, 0)).toBe(10n * E18);
    expect(await stakeAt(a.operatorId, 0, updateBlock - 1)).toBe(5n * E18);
    expect(await stakeAt(a.operatorId, 0, updateBlock)).toBe(10n * E18);
    expect(await totalAt(0, updateBlock - 1)).toBe((15n * E18) / 2n);
    expect(await totalAt(0, updateBlock)).toBe((25n * E18) / 2n);
    // Quorum 1 weighs no stETH: unchanged, no new history entry.
    expect(await stakeAt(a.operatorId, 1, updateBlock)).toBe(16n * E18);

    const before = await quorumStateAt(0, updateBlock - 1);
    const after = await quorumStateAt(0, updateBlock);
    expect(before.get(a.operatorId)).toBe(5n * E18);
    expect(after.get(a.operatorId)).toBe(10n * E18);
    expect(after.get(b.operatorId)).toBe((5n * E18) / 2n);
  });

  it("a whole-quorum update ejects an operator whose delegated stake left, history intact", async () => {
    const [staker] = b.stakers;
    const undelegate = await avs.sender.sendLabelled("undelegate", staker!, {
      to: avs.deployment.restaking.delegationManager,
      abi: delegationManagerAbi,
      functionName: "undelegate",
      args: [staker!.address],
      gas: 1_000_000n,
    });
    await avs.sender.confirm([undelegate]);
    const sent = await avs.sender.sendLabelled("updateOperatorsForQuorum", avs.deployer, {
      to: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "updateOperatorsForQuorum",
      args: [[sortedAddresses([a.address, b.address])], "0x00"],
      gas: 2_000_000n,
    });
    const [receipt] = await avs.sender.confirm([sent]);
    const block = Number(receipt!.blockNumber);

    const stamped = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "quorumUpdateBlockNumber",
      args: [0],
    });
    expect(stamped).toBe(BigInt(block));
    // B now weighs 0.5 < the minimum of 1: removed from quorum 0, its only quorum.
    const info = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperator",
      args: [b.address],
    });
    expect(info.status).toBe(2);
    expect(await currentStake(b.operatorId, 0)).toBe(0n);
    expect(await totalAt(0, block)).toBe(10n * E18);

    const now = await quorumStateAt(0, block);
    expect([...now.keys()]).toEqual([a.operatorId]);
    const earlier = await quorumStateAt(0, block - 1);
    expect(earlier.get(b.operatorId)).toBe((5n * E18) / 2n);
    expect(await totalAt(0, block - 1)).toBe((25n * E18) / 2n);
  });

  it("refuses a whole-quorum update with a missing or unsorted operator list", async () => {
    const [extra] = await registerOperators(avs, [
      { quorums: [0], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: 2n * E18 }] },
    ]);
    const abi = withAllErrors(registryCoordinatorAbi);
    const sorted = sortedAddresses([a.address, extra!.address]);
    await expectRevert(
      avs.client.simulateContract({
        account: avs.deployer,
        address: coordinator,
        abi,
        functionName: "updateOperatorsForQuorum",
        args: [[[a.address]], "0x00"],
      }),
      "QuorumOperatorCountMismatch",
    );
    await expectRevert(
      avs.client.simulateContract({
        account: avs.deployer,
        address: coordinator,
        abi,
        functionName: "updateOperatorsForQuorum",
        args: [[[sorted[1]!, sorted[0]!]], "0x00"],
      }),
      "OperatorsNotSorted",
    );
  });
});
