// What the aggregator's chain tests and its benchmark add to the test kit (@avskit/integration):
// quorums sized for them, and operators staking one amount in each of their quorums.
import { createSessionRequest, postSessionRequest } from "@avskit/aggregator-api";
import type { QuorumConfig } from "@avskit/deploy";
import { E18, type OperatorSpec, strategyOf, type TestAvs, type TestOperator } from "@avskit/integration";
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

/** Session tokens by aggregator URL and operator: each operator logs in once per aggregator it talks to. */
const tokens = new Map<string, string>();

/** The operator's session token at the aggregator at `url`, logging in with its ECDSA key the first time. */
export async function tokenFor(avs: TestAvs, url: string, op: TestOperator): Promise<string> {
  const key = `${url} ${op.operatorId}`;
  const known = tokens.get(key);
  if (known !== undefined) return known;
  const domain = { chainId: avs.chainId, taskManager: avs.deployment.contracts.taskManager.proxy };
  const login = await postSessionRequest(url, await createSessionRequest(op.account, domain, op.operatorId), {
    timeoutMs: 5_000,
  });
  if (login.kind !== "session") throw new Error(`login refused: ${JSON.stringify(login)}`);
  tokens.set(key, login.token);
  return login.token;
}
