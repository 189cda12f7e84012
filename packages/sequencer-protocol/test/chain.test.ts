import { operatorStateRetrieverAbi, taskManagerAbi, withAllErrors } from "@avskit/bindings";
import { g1ToSolidity } from "@avskit/bls";
import {
  E18,
  quorumNumbersBytes,
  registerOperators,
  revertErrorName,
  startTestAvs,
  strategyOf,
  type TestAvs,
  type TestOperator,
} from "@avskit/integration";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCertificate,
  type Certificate,
  checkCertificate,
  signVote,
  type VotePoint,
  voteDigest,
} from "../src/certificate.js";
import { loadChainNetwork } from "../src/chain-network.js";
import { NetworkError } from "../src/errors.js";
import { chainHashOf } from "../src/log.js";
import { memberById, type Network, snapshotIdOf } from "../src/network.js";

/**
 * A finality certificate made with this library passes the deployed BLSSignatureChecker (the
 * TaskManager inherits it) for the network's snapshot: same digest, same keys, same stakes.
 * Four operators in quorum 0 staking 40/20/20/20 tokens, each with its URL as socket.
 */
const QUORUM = 0;
const STAKES = [40n, 20n, 20n, 20n];
const checker = withAllErrors(taskManagerAbi);

let avs: TestAvs;
let ops: TestOperator[];
let referenceBlock: number;
let network: Network;

function params(avs: TestAvs) {
  return {
    registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
    operatorStateRetriever: avs.operatorStateRetriever,
    quorumNumber: QUORUM,
    chainId: avs.chainId,
  };
}

beforeAll(async () => {
  avs = await startTestAvs();
  ops = await registerOperators(
    avs,
    STAKES.map((stake, i) => ({
      quorums: [QUORUM],
      deposits: [{ strategy: strategyOf(avs.deployment, QUORUM), amount: stake * E18 }],
      socket: `http://127.0.0.1:${9300 + i}`,
    })),
  );
  referenceBlock = await avs.blockNumber();
  // checkSignatures wants a reference block strictly in the past.
  await avs.mine(1);
  network = await loadChainNetwork(avs.client, { ...params(avs), referenceBlock });
}, 120_000);

afterAll(async () => {
  await avs?.stop();
});

/** The on-chain check of `cert`, as a third party would run it: params built by the OperatorStateRetriever. */
async function checkOnChain(cert: Certificate, digest: Hex) {
  const quorumNumbers = quorumNumbersBytes([QUORUM]);
  const nonSigners = new Set(cert.nonSigners);
  const signerIds = network.members.filter((m) => !nonSigners.has(m.operatorId)).map((m) => m.operatorId);
  const sigma = g1ToSolidity(cert.signature);
  const input = await avs.client.readContract({
    address: avs.operatorStateRetriever,
    abi: operatorStateRetrieverAbi,
    functionName: "getNonSignerStakesAndSignature",
    args: [
      avs.deployment.contracts.registryCoordinator.proxy,
      quorumNumbers,
      { X: sigma.X, Y: sigma.Y },
      signerIds,
      referenceBlock,
      digest,
    ],
  });
  return avs.client.readContract({
    address: avs.deployment.contracts.taskManager.proxy,
    abi: checker,
    functionName: "checkSignatures",
    args: [digest, quorumNumbers, referenceBlock, input],
  });
}

describe("chain network and on-chain certificate check", () => {
  it("loads the quorum's members with keys, stakes and sockets at the reference block", () => {
    expect(network.snapshot).toEqual({
      kind: "chain",
      chainId: avs.chainId,
      registryCoordinator: avs.deployment.contracts.registryCoordinator.proxy,
      quorumNumber: QUORUM,
      referenceBlock,
    });
    expect(network.snapshotId).toBe(snapshotIdOf(network.snapshot));
    expect(network.members).toHaveLength(4);
    expect(network.totalStake).toBe(100n * E18);
    for (const [i, op] of ops.entries()) {
      const member = memberById(network, op.operatorId)!;
      expect(member.address).toBe(op.address);
      expect(member.stake).toBe(STAKES[i]! * E18);
      expect(member.url).toBe(`http://127.0.0.1:${9300 + i}`);
      expect(member.pubkeyG2.equals(op.bls.publicKeyG2)).toBe(true);
    }
  });

  it("refuses an RPC of another chain", async () => {
    await expect(
      loadChainNetwork(avs.client, { ...params(avs), referenceBlock, chainId: 1 }),
    ).rejects.toThrow(NetworkError);
  });

  it("a finality certificate with one non-signer passes checkSignatures with the signers' stake", async () => {
    const point: VotePoint = {
      app: "app-1",
      term: 1n,
      index: 1n,
      chainHash: chainHashOf("app-1", [{ id: new Uint8Array(16), body: new Uint8Array([1]) }]),
    };
    // The big operator and two small ones sign; the last small one does not: 80 of 100.
    const signers = ops.slice(0, 3);
    const shares = new Map(
      signers.map(
        (op) => [op.operatorId, signVote(op.bls.secretKey, "finalize", point, network.snapshotId)] as const,
      ),
    );
    const cert = buildCertificate(network, "finalize", point, shares)!;
    expect(cert.nonSigners).toEqual([ops[3]!.operatorId.toLowerCase()]);
    expect(checkCertificate(network, cert)).toEqual({ ok: true });

    const digest = voteDigest("finalize", cert, cert.snapshotId);
    const [totals] = await checkOnChain(cert, digest);
    expect(totals.signedStakeForQuorum).toEqual([80n * E18]);
    expect(totals.totalStakeForQuorum).toEqual([100n * E18]);

    // Tampered: another chain hash. Refused off-chain and reverted on-chain.
    const tampered = { ...cert, chainHash: chainHashOf("app-1", []) };
    expect(checkCertificate(network, tampered)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    const failure = await checkOnChain(tampered, voteDigest("finalize", tampered, tampered.snapshotId)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure, "checkSignatures accepted a tampered certificate").toBeDefined();
    expect(revertErrorName(failure)).toBe("InvalidSignature");

    // A signature of another digest (a lock of the same point) under the finalize digest.
    const lockShares = new Map(
      signers.map(
        (op) => [op.operatorId, signVote(op.bls.secretKey, "lock", point, network.snapshotId)] as const,
      ),
    );
    const wrong = { ...cert, signature: buildCertificate(network, "lock", point, lockShares)!.signature };
    expect(checkCertificate(network, wrong)).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    const wrongFailure = await checkOnChain(wrong, digest).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(revertErrorName(wrongFailure)).toBe("InvalidSignature");
  });
});
