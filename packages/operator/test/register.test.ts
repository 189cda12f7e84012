import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContractResolutionError } from "@avskit/bindings";
import { g1FromSolidity, generateKeyPair, operatorIdFromPublicKey } from "@avskit/bls";
import { startTestAvs, type TestAvs } from "@avskit/integration";
import { walletFor } from "@avskit/runtime";
import { type Address, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fundOperator,
  getOperatorStatus,
  InsufficientBalanceError,
  registerOperator,
  resolveAvsContracts,
  TransactionRevertedError,
} from "../src/index.js";
import { cli } from "./helpers/cli.js";

const PASSWORD = "operator-test-password";
const E18 = 10n ** 18n;

let avs: TestAvs;
/** Scratch folder for keys and files. */
let dir: string;
let keysDir: string;
let env: NodeJS.ProcessEnv;
let operatorAddress: Address;

/** Flags every chain command of these tests takes. */
const chainFlags = () => [
  "--rpc-url",
  avs.rpcUrl,
  "--deployments-dir",
  avs.deploymentsDir,
  "--keys-dir",
  keysDir,
];
const keyFlags = ["--ecdsa-key", "op", "--bls-key", "op"];

beforeAll(async () => {
  avs = await startTestAvs();
  dir = await mkdtemp(join(tmpdir(), "avskit-operator-register-"));
  keysDir = join(dir, "keys");
  env = { AVSKIT_BLS_KEY_PASSWORD: PASSWORD, AVSKIT_ECDSA_KEY_PASSWORD: PASSWORD };
  for (const type of ["bls", "ecdsa"]) {
    const created = await cli(
      ["keys", "create", "op", "--key-type", type, "--keys-dir", keysDir, "--insecure-kdf", "--json"],
      {
        env,
      },
    );
    expect(created.code, created.err).toBe(0);
    if (type === "ecdsa") operatorAddress = JSON.parse(created.out).address;
  }
  // Gas money, and 100 tokens of each quorum's first strategy minted by the deployer (token owner).
  await avs.setBalance(operatorAddress, parseEther("10"));
  const tokens = avs.deployment.quorums.map((quorum) => quorum.strategies[0]!.token);
  await fundOperator({
    publicClient: avs.client,
    funder: walletFor(avs.client, avs.deployer, { rpcUrl: avs.rpcUrl }),
    operator: operatorAddress,
    tokens: tokens.map((token) => ({ token, amount: 100n * E18 })),
  });
});

afterAll(async () => {
  await avs?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("register / status / deregister on anvil", () => {
  it("deposits, registers in the delegation contract and joins two quorums; status shows the stake per quorum", async () => {
    const registered = await cli(
      [
        "register",
        ...chainFlags(),
        ...keyFlags,
        "--quorums",
        "0,1",
        "--deposit-amount",
        "40",
        "--socket",
        "op.example:9000",
        "--json",
      ],
      { env },
    );
    expect(registered.code, registered.err).toBe(0);
    const result = JSON.parse(registered.out);
    expect(result).toMatchObject({
      operator: operatorAddress,
      delegation: "registered",
      joinedQuorums: [0, 1],
    });
    expect(result.deposits).toHaveLength(2);
    expect(result.transactions.map((tx: { step: string }) => tx.step)).toEqual([
      expect.stringMatching(/^approve /),
      expect.stringMatching(/^deposit /),
      expect.stringMatching(/^approve /),
      expect.stringMatching(/^deposit /),
      "register as operator in the delegation contract",
      "register to quorum(s) 0, 1",
    ]);

    const status = await cli(["status", ...chainFlags(), "--ecdsa-key", "op", "--bls-key", "op", "--json"], {
      env,
    });
    expect(status.code, status.err).toBe(0);
    const report = JSON.parse(status.out);
    expect(report).toMatchObject({
      operator: operatorAddress,
      delegationOperator: true,
      avsStatus: "registered",
      operatorId: result.operatorId,
      socket: "op.example:9000",
      localKey: { operatorId: result.operatorId, matchesChain: true },
    });
    // 40 tokens in each quorum's first strategy at multiplier 1e18: a weight of 40e18 in both.
    expect(report.quorums).toEqual([
      {
        quorumNumber: 0,
        registered: true,
        stake: String(40n * E18),
        weight: String(40n * E18),
        minimumStake: String(E18),
      },
      {
        quorumNumber: 1,
        registered: true,
        stake: String(40n * E18),
        weight: String(40n * E18),
        minimumStake: String(10n * E18),
      },
    ]);
    expect(report.registeredPubkeys.G1).toEqual(report.localKey.G1);
    expect(report.registeredPubkeys.G2).toEqual(report.localKey.G2);

    // The text form needs no password at all when only the address is asked about.
    const text = await cli(["status", ...chainFlags(), "--operator-address", operatorAddress]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`operatorId   ${result.operatorId}`);
    expect(text.out).toMatch(
      /^0 +yes +40 \(40000000000000000000\) +40 \(40000000000000000000\) +1 \(1000000000000000000\)$/m,
    );
    expect(text.out).toContain("pubkey G2");
  });

  it("is idempotent: a second run sends nothing; a deposit on a registered operator refreshes its stake", async () => {
    const again = await cli(["register", ...chainFlags(), ...keyFlags, "--quorums", "0,1", "--json"], {
      env,
    });
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({
      delegation: "already-registered",
      joinedQuorums: [],
      alreadyInQuorums: [0, 1],
      transactions: [],
    });

    const topUp = await cli(
      ["register", ...chainFlags(), ...keyFlags, "--quorums", "0", "--deposit-amount", "2.5", "--json"],
      {
        env,
      },
    );
    expect(topUp.code, topUp.err).toBe(0);
    expect(JSON.parse(topUp.out)).toMatchObject({ stakeUpdated: true, joinedQuorums: [] });
    const contracts = await resolveAvsContracts(avs.client, { deploymentsDir: avs.deploymentsDir });
    const report = await getOperatorStatus({
      publicClient: avs.client,
      contracts,
      operator: operatorAddress,
    });
    expect(report.quorums[0]?.stake).toBe(425n * 10n ** 17n);
  });

  it("deregisters from one quorum and joins it again with the key already on-chain", async () => {
    const left = await cli(["deregister", ...chainFlags(), "--ecdsa-key", "op", "--quorums", "1", "--json"], {
      env,
    });
    expect(left.code, left.err).toBe(0);
    expect(JSON.parse(left.out)).toMatchObject({ leftQuorums: [1], notInQuorums: [] });
    const contracts = await resolveAvsContracts(avs.client, { deploymentsDir: avs.deploymentsDir });
    let report = await getOperatorStatus({
      publicClient: avs.client,
      contracts,
      operator: operatorAddress,
    });
    expect(report.quorums.map((q) => q.registered)).toEqual([true, false]);
    expect(report.quorums[1]?.stake).toBe(0n);

    const rejoined = await cli(["register", ...chainFlags(), ...keyFlags, "--quorums", "1", "--json"], {
      env,
    });
    expect(rejoined.code, rejoined.err).toBe(0);
    report = await getOperatorStatus({ publicClient: avs.client, contracts, operator: operatorAddress });
    expect(report.quorums.map((q) => q.registered)).toEqual([true, true]);
  });
});

describe("register failures are named and change nothing", () => {
  it("decodes the contract's custom error when the stake is below a quorum's minimum", async () => {
    // A fresh operator with gas but no tokens: the registry refuses it for quorum 0.
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    await avs.setBalance(address, parseEther("1"));
    const result = await cli(
      ["register", ...chainFlags(), "--bls-key", "op", "--quorums", "0", "--deposit-amount", "0"],
      { env: { ...env, AVSKIT_BLS_KEY_PASSWORD: PASSWORD, AVSKIT_ECDSA_PRIVATE_KEY: key } },
    );
    expect(result.code).toBe(1);
    // The BLS key "op" belongs to the first operator: caught before any transaction.
    expect(result.err).toMatch(/this BLS key \(operatorId 0x[0-9a-f]{64}\) is already registered by 0x/);

    const contracts = await resolveAvsContracts(avs.client, { deploymentsDir: avs.deploymentsDir });
    const walletClient = walletFor(avs.client, privateKeyToAccount(key), { rpcUrl: avs.rpcUrl });
    const error = await registerOperator({
      publicClient: avs.client,
      walletClient,
      contracts,
      blsKeyPair: generateKeyPair(),
      quorums: [0],
      socket: "x",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRevertedError);
    expect((error as TransactionRevertedError).errorName).toBe("BelowMinimumStakeRequirement");
    expect((error as Error).message).toMatch(
      /register to quorum\(s\) 0 failed: the contract reverted with BelowMinimumStakeRequirement\(0, "?0"?, "?1000000000000000000"?\)/,
    );
    const report = await getOperatorStatus({ publicClient: avs.client, contracts, operator: address });
    // The delegation step before it went through; the AVS registration did not.
    expect(report.avsStatus).toBe("never-registered");

    const noQuorum = await registerOperator({
      publicClient: avs.client,
      walletClient,
      contracts,
      blsKeyPair: generateKeyPair(),
      quorums: [7],
      socket: "x",
    }).catch((e: unknown) => e);
    expect(noQuorum).toBeInstanceOf(TransactionRevertedError);
    expect((noQuorum as TransactionRevertedError).errorName).toMatch(/QuorumDoesNotExist/);
  });

  it("refuses a deposit larger than the balance before sending anything", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    await avs.setBalance(address, parseEther("1"));
    const contracts = await resolveAvsContracts(avs.client, { deploymentsDir: avs.deploymentsDir });
    const strategy = avs.deployment.quorums[0]!.strategies[0]!.strategy;
    const before = await avs.client.getTransactionCount({ address });
    const error = await registerOperator({
      publicClient: avs.client,
      walletClient: walletFor(avs.client, privateKeyToAccount(key), { rpcUrl: avs.rpcUrl }),
      contracts,
      blsKeyPair: generateKeyPair(),
      quorums: [0],
      socket: "x",
      deposits: [{ strategy, amount: 5n * E18 }],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientBalanceError);
    expect(await avs.client.getTransactionCount({ address })).toBe(before);
  });

  it("names a wrong password, an unreachable RPC and a registry coordinator that is not a contract", async () => {
    const wrong = await cli(["register", ...chainFlags(), ...keyFlags], {
      env: { ...env, AVSKIT_BLS_KEY_PASSWORD: "nope" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/wrong password for the key file .*op\.bls\.key\.json/);

    const unreachable = await cli([
      "status",
      "--rpc-url",
      "http://127.0.0.1:1",
      "--operator-address",
      operatorAddress,
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:1/);

    const notAContract = await cli([
      "status",
      ...chainFlags(),
      "--registry-coordinator",
      operatorAddress,
      "--operator-address",
      operatorAddress,
    ]);
    expect(notAContract.code).toBe(1);
    expect(notAContract.err).toMatch(/no contract at 0x[0-9a-fA-F]{40} on chain 31337/);
    await expect(resolveAvsContracts(avs.client, { registryCoordinator: operatorAddress })).rejects.toSatisfy(
      (error: unknown) => error instanceof ContractResolutionError && error.problem === "no-code",
    );

    const missingDeployment = await cli([
      "status",
      "--rpc-url",
      avs.rpcUrl,
      "--deployments-dir",
      dir,
      "--operator-address",
      operatorAddress,
    ]);
    expect(missingDeployment.code).toBe(1);
    expect(missingDeployment.err).toMatch(/no deployment for chain 31337/);
  });

  it("refuses to deregister an operator that never registered", async () => {
    const result = await cli(["deregister", ...chainFlags()], {
      env: { AVSKIT_ECDSA_PRIVATE_KEY: generatePrivateKey() },
    });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/is not registered with this AVS/);
  });
});

it("agrees with the registry on the operatorId (keccak256 of the G1 key, as `keys show` prints it)", async () => {
  const contracts = await resolveAvsContracts(avs.client, { deploymentsDir: avs.deploymentsDir });
  const report = await getOperatorStatus({
    publicClient: avs.client,
    contracts,
    operator: operatorAddress,
  });
  expect(report.operatorId).toBe(operatorIdFromPublicKey(g1FromSolidity(report.registeredPubkeys!.G1)));
});
