// What the aggregator's chain tests and its benchmark add to the test kit (@avskit/integration):
// quorums sized for them, and operators staking one amount in each of their quorums.
import type { QuorumConfig } from "@avskit/deploy";
import { E18, type OperatorSpec, strategyOf, type TestAvs } from "@avskit/integration";
import type { Hex } from "viem";

/** `count` quorums, each weighing one test token 1:1, 1 token minimum, at most `maxOperators` operators. */
export function quorumsFor(count: number, maxOperators: number): QuorumConfig[] {
  return Array.from({ length: count }, (_, q) => ({
    minimumStake: 1n * E18,
    operatorSetParams: {
      maxOperatorCount: maxOperators,
      kickBIPsOfOperatorStake: 11_000,
      kickBIPsOfTotalStake: 1_001,
    },
    strategies: [{ token: { name: `Aggregator Test ${q}`, symbol: `AGT${q}` }, multiplier: E18 }],
  }));
}

/** An operator depositing `stake` into the strategy of each of its quorums. */
export function stakedIn(avs: TestAvs, quorums: readonly number[], stake: bigint): OperatorSpec {
  return {
    quorums,
    deposits: quorums.map((q) => ({ strategy: strategyOf(avs.deployment, q), amount: stake })),
  };
}

/** The private key of the account holding AGGREGATOR_ROLE (anvil's account 2), as the CLI takes it. */
export function aggregatorKey(avs: TestAvs): Hex {
  const key = avs.anvil.accounts[2]?.privateKey;
  if (key === undefined) throw new Error("anvil gave fewer than 3 accounts");
  return key;
}
