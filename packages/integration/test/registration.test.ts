// Operator registration against a real deployment on anvil: proof of possession, the
// AVSDirectory signature, APKs, and every refusal with its own custom error.
import {
  avsDirectoryAbi,
  blsApkRegistryAbi,
  registryCoordinatorAbi,
  stakeRegistryAbi,
  withAllErrors,
} from "@avskit/bindings";
import {
  buildPubkeyRegistration,
  G1,
  g1FromSolidity,
  g1ToSolidity,
  generateKeyPair,
  operatorIdFromPublicKey,
} from "@avskit/bls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  E18,
  newOperatorIdentity,
  type OperatorIdentity,
  prepareOperators,
  registerOperatorCallArgs,
  registerOperators,
  registrationArgs,
  startTestAvs,
  strategyOf,
  type TestAvs,
  type TestOperator,
} from "../src/index.js";
import { expectRevert } from "./support.js";

const coordinatorAbi = withAllErrors(registryCoordinatorAbi);
const REGISTERED = 1;

let avs: TestAvs;
let coordinator: `0x${string}`;

beforeAll(async () => {
  avs = await startTestAvs();
  coordinator = avs.deployment.contracts.registryCoordinator.proxy;
});

afterAll(async () => {
  await avs?.stop();
});

/** Restaking side done, enough stake for both default quorums (minimums 1 and 10 tokens). */
async function preparedOperator(): Promise<TestOperator> {
  const [operator] = await prepareOperators(avs, [
    {
      quorums: [],
      deposits: [
        { strategy: strategyOf(avs.deployment, 0), amount: 5n * E18 },
        { strategy: strategyOf(avs.deployment, 1), amount: 20n * E18 },
      ],
    },
  ]);
  return operator!;
}

function simulateRegistration(
  operator: OperatorIdentity,
  args: Awaited<ReturnType<typeof registrationArgs>>,
) {
  return avs.client.simulateContract({
    account: operator.account,
    address: coordinator,
    abi: coordinatorAbi,
    functionName: "registerOperator",
    args: registerOperatorCallArgs(args),
  });
}

async function apkOf(quorum: number) {
  return avs.client.readContract({
    address: avs.deployment.contracts.blsApkRegistry.proxy,
    abi: blsApkRegistryAbi,
    functionName: "getApk",
    args: [quorum],
  });
}

describe("registration with proof of possession", () => {
  let first: TestOperator;
  let second: TestOperator;

  it("registers an operator in both quorums: key, id, bitmap, socket, stake, APK, AVSDirectory", async () => {
    first = (
      await registerOperators(avs, [
        {
          quorums: [0, 1],
          socket: "first.operator:9000",
          deposits: [
            { strategy: strategyOf(avs.deployment, 0), amount: 5n * E18 },
            { strategy: strategyOf(avs.deployment, 1), amount: 20n * E18 },
          ],
        },
      ])
    )[0]!;
    const info = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperator",
      args: [first.address],
    });
    expect(info.operatorId).toBe(first.operatorId);
    expect(info.status).toBe(REGISTERED);

    const [pubkey, operatorId] = await avs.client.readContract({
      address: avs.deployment.contracts.blsApkRegistry.proxy,
      abi: blsApkRegistryAbi,
      functionName: "getRegisteredPubkey",
      args: [first.address],
    });
    expect(pubkey).toEqual(g1ToSolidity(first.bls.publicKeyG1));
    expect(operatorId).toBe(operatorIdFromPublicKey(first.bls.publicKeyG1));

    const bitmap = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getCurrentQuorumBitmap",
      args: [first.operatorId],
    });
    expect(bitmap).toBe(0b11n);
    const socket = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperatorSocket",
      args: [first.operatorId],
    });
    expect(socket).toBe("first.operator:9000");

    const stakes = await Promise.all(
      [0, 1].map((quorum) =>
        avs.client.readContract({
          address: avs.deployment.contracts.stakeRegistry.proxy,
          abi: stakeRegistryAbi,
          functionName: "getCurrentStake",
          args: [first.operatorId, quorum],
        }),
      ),
    );
    // Quorum 1 weighs its first token 1:1.
    expect(stakes).toEqual([5n * E18, 20n * E18]);

    expect(await apkOf(0)).toEqual(g1ToSolidity(first.bls.publicKeyG1));
    expect(await apkOf(1)).toEqual(g1ToSolidity(first.bls.publicKeyG1));

    const status = await avs.client.readContract({
      address: avs.deployment.restaking.avsDirectory,
      abi: avsDirectoryAbi,
      functionName: "avsOperatorStatus",
      args: [avs.deployment.contracts.serviceManager.proxy, first.address],
    });
    expect(status).toBe(REGISTERED);
  });

  it("sums the G1 keys of a quorum's operators into its APK", async () => {
    second = (
      await registerOperators(avs, [
        { quorums: [0], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: 2n * E18 }] },
      ])
    )[0]!;
    const sum = first.bls.publicKeyG1.add(second.bls.publicKeyG1);
    expect(g1FromSolidity(await apkOf(0)).equals(sum)).toBe(true);
    expect(await apkOf(1)).toEqual(g1ToSolidity(first.bls.publicKeyG1));
  });

  it("removes the key from the APK on deregistration and restores it on re-registration", async () => {
    const deregister = await avs.sender.sendLabelled("deregister", second.account, {
      to: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "deregisterOperator",
      args: ["0x00"],
      gas: 1_000_000n,
    });
    await avs.sender.confirm([deregister]);
    expect(await apkOf(0)).toEqual(g1ToSolidity(first.bls.publicKeyG1));
    const info = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperator",
      args: [second.address],
    });
    expect(info.status).toBe(2); // DEREGISTERED

    // The key stays registered: a second registration needs no valid proof of possession.
    const args = await registrationArgs(avs, second, [0]);
    const again = await avs.sender.sendLabelled("re-register", second.account, {
      to: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "registerOperator",
      args: registerOperatorCallArgs(args),
      gas: 3_000_000n,
    });
    await avs.sender.confirm([again]);
    expect(g1FromSolidity(await apkOf(0)).equals(first.bls.publicKeyG1.add(second.bls.publicKeyG1))).toBe(
      true,
    );
  });
});

describe("registration refusals, each with its own custom error", () => {
  it("a bad proof of possession: signed for another operator's message", async () => {
    const operator = await preparedOperator();
    const other = newOperatorIdentity();
    const args = await registrationArgs(avs, operator, [0]);
    const otherPoint = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "pubkeyRegistrationMessageHash",
      args: [other.address],
    });
    const forged = buildPubkeyRegistration(operator.bls, g1FromSolidity(otherPoint));
    await expectRevert(
      simulateRegistration(operator, { ...args, params: forged }),
      "InvalidPubkeyRegistrationSignature",
    );
  });

  it("a bad proof of possession: G2 key of another secret", async () => {
    const operator = await preparedOperator();
    const args = await registrationArgs(avs, operator, [0]);
    const mismatched = {
      ...args.params,
      pubkeyG2: buildPubkeyRegistration(generateKeyPair(), G1.BASE).pubkeyG2,
    };
    await expectRevert(
      simulateRegistration(operator, { ...args, params: mismatched }),
      "InvalidPubkeyRegistrationSignature",
    );
  });

  it("a bad proof of possession makes the transaction itself revert and changes nothing", async () => {
    const operator = await preparedOperator();
    const args = await registrationArgs(avs, operator, [0]);
    const tampered = {
      ...args.params,
      pubkeyRegistrationSignature: g1ToSolidity(
        g1FromSolidity(args.params.pubkeyRegistrationSignature).double(),
      ),
    };
    const apkBefore = await apkOf(0);
    const hash = await avs.sender.send(operator.account, {
      to: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "registerOperator",
      args: registerOperatorCallArgs({ ...args, params: tampered }),
      gas: 3_000_000n,
    });
    const receipt = await avs.client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    expect(receipt.status).toBe("reverted");
    expect(await apkOf(0)).toEqual(apkBefore);
    const id = await avs.client.readContract({
      address: coordinator,
      abi: registryCoordinatorAbi,
      functionName: "getOperatorId",
      args: [operator.address],
    });
    expect(id).toBe(`0x${"0".repeat(64)}`);
  });

  it("a key registered twice: another operator's key, with a valid proof for the newcomer", async () => {
    const [owner] = await registerOperators(avs, [
      { quorums: [0], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: 2n * E18 }] },
    ]);
    const copycat = await preparedOperator();
    // Same BLS key, proof made properly over the copycat's own message: only reuse is wrong.
    const args = await registrationArgs(
      avs,
      { ...copycat, bls: owner!.bls, operatorId: owner!.operatorId },
      [0],
    );
    const [pubkeyHash] = await expectRevert(simulateRegistration(copycat, args), "PubkeyAlreadyRegistered");
    expect(pubkeyHash).toBe(owner!.operatorId);
  });

  it("an operator unknown to the delegation contract (AVSDirectory refuses it)", async () => {
    const stranger = newOperatorIdentity();
    await avs.setBalance(stranger.address, E18);
    const args = await registrationArgs(avs, stranger, [0]);
    await expectRevert(simulateRegistration(stranger, args), "OperatorNotRegisteredInDelegation");
  });

  it("an AVSDirectory signature by someone else", async () => {
    const operator = await preparedOperator();
    const args = await registrationArgs(avs, operator, [0]);
    const wrong = await newOperatorIdentity().account.sign({ hash: `0x${"11".repeat(32)}` });
    await expectRevert(
      simulateRegistration(operator, {
        ...args,
        operatorSignature: { ...args.operatorSignature, signature: wrong },
      }),
      "InvalidSignature",
    );
  });

  it("stake below the quorum's minimum", async () => {
    const [poor] = await prepareOperators(avs, [
      { quorums: [], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: E18 / 2n }] },
    ]);
    const args = await registrationArgs(avs, poor!, [0]);
    const [quorum, weight, minimum] = await expectRevert(
      simulateRegistration(poor!, args),
      "BelowMinimumStakeRequirement",
    );
    expect([quorum, weight, minimum]).toEqual([0, E18 / 2n, E18]);
  });

  it("a quorum the operator is already in", async () => {
    const [member] = await registerOperators(avs, [
      { quorums: [0], deposits: [{ strategy: strategyOf(avs.deployment, 0), amount: 2n * E18 }] },
    ]);
    const args = await registrationArgs(avs, member!, [0]);
    await expectRevert(simulateRegistration(member!, args), "AlreadyRegisteredForQuorums");
  });

  it("a quorum that does not exist", async () => {
    const operator = await preparedOperator();
    const args = await registrationArgs(avs, operator, [0, 5]);
    await expectRevert(simulateRegistration(operator, args), "QuorumDoesNotExist");
  });

  it("an unregistered operator cannot deregister or update its socket", async () => {
    const stranger = newOperatorIdentity();
    const [who] = await expectRevert(
      avs.client.simulateContract({
        account: stranger.account,
        address: coordinator,
        abi: coordinatorAbi,
        functionName: "deregisterOperator",
        args: ["0x00"],
      }),
      "OperatorNotRegistered",
    );
    expect(who).toBe(stranger.address);
    await expectRevert(
      avs.client.simulateContract({
        account: stranger.account,
        address: coordinator,
        abi: coordinatorAbi,
        functionName: "updateSocket",
        args: ["nowhere:1"],
      }),
      "OperatorNotRegistered",
    );
  });
});
