// The benchmark's chain: anvil + the real deployment, three quorums, and operators registered
// through the same helpers the integration tests use.
import type { QuorumConfig } from "@avskit/deploy";
import {
  E18,
  installGasMeter,
  prepareOperators,
  registerWithAvs,
  type StakeAmount,
  startTestAvs,
  type TestAvs,
  type TestOperator,
} from "../src/index.js";

const OPERATOR_SET = {
  maxOperatorCount: 1_000,
  kickBIPsOfOperatorStake: 11_000,
  kickBIPsOfTotalStake: 1_001,
};

function tokenStrategy(i: number) {
  return { token: { name: `Bench Token ${i}`, symbol: `BENCH${i}` }, multiplier: E18 };
}

/**
 * Quorum 0 and 1: one strategy each, like the devnet's quorum 0 (the check benchmarks use
 * them). Quorum 2: ten strategies, the shape of the middleware's 11.4M-gas figure.
 */
export const BENCH_QUORUMS: readonly QuorumConfig[] = [
  { minimumStake: E18, operatorSetParams: OPERATOR_SET, strategies: [tokenStrategy(0)] },
  { minimumStake: E18, operatorSetParams: OPERATOR_SET, strategies: [tokenStrategy(1)] },
  {
    minimumStake: E18,
    operatorSetParams: OPERATOR_SET,
    strategies: Array.from({ length: 10 }, (_, i) => tokenStrategy(2 + i)),
  },
];
export const ALL_QUORUMS = [0, 1, 2] as const;

export async function startBenchChain(hardfork: string | undefined): Promise<TestAvs> {
  const avs = await startTestAvs({
    quorums: BENCH_QUORUMS,
    // Tasks stay answerable for the whole run.
    taskResponseWindowBlocks: 1_000_000,
    // Bulk setup packs hundreds of transactions per block; the measured transactions fit easily.
    blockGasLimit: 1_000_000_000n,
    ...(hardfork !== undefined ? { hardfork } : {}),
  });
  await installGasMeter(avs);
  return avs;
}

/** Every strategy of every quorum, operator `i` staking a slightly different amount in each. */
function stakesFor(avs: TestAvs, i: number): StakeAmount[] {
  return avs.deployment.quorums.flatMap((quorum) =>
    quorum.strategies.map(({ strategy }) => ({ strategy, amount: 2n * E18 + BigInt(i) * 10n ** 15n })),
  );
}

/** Registers `count` more operators in all three quorums. */
export async function addOperators(avs: TestAvs, count: number, offset: number): Promise<TestOperator[]> {
  const prepared = await prepareOperators(
    avs,
    Array.from({ length: count }, (_, i) => ({ quorums: [], deposits: stakesFor(avs, offset + i) })),
  );
  await registerWithAvs(
    avs,
    prepared.map((operator) => ({ operator, quorums: ALL_QUORUMS })),
  );
  return prepared.map((operator) => ({ ...operator, quorums: [...ALL_QUORUMS] }));
}
