import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { type ProvisionedOperator, provisionDevnetOperator } from "@avskit/operator";
import type { LocalChain } from "./local-chain.js";

/** One token = 10^18 base units (the test tokens have 18 decimals). */
export const TOKEN = 10n ** 18n;

/** Who joins which quorums, with how much stake. */
export interface OperatorPlan {
  readonly name: string;
  readonly quorums: readonly number[];
  /** Deposited into the first strategy of each of its quorums, in base units. */
  readonly deposit: bigint;
}

/**
 * The devnet's layout over two quorums: operators 1, 4, 7… join both, 2, 5… only quorum 0,
 * 3, 6… only quorum 1. With 4 operators each quorum has 3 members, 2 of them shared, so a
 * quorum's signing stake and its operator count tell different stories. Stakes grow with the
 * operator number (100, 200, … tokens) so percentages of stake differ from head counts.
 */
export function defaultOperatorPlan(count: number): OperatorPlan[] {
  const layouts: readonly (readonly number[])[] = [[0, 1], [0], [1]];
  return Array.from({ length: count }, (_, i) => ({
    name: `operator-${i + 1}`,
    quorums: count === 1 ? [0, 1] : layouts[i % layouts.length]!,
    deposit: 100n * BigInt(i + 1) * TOKEN,
  }));
}

/** A provisioned operator plus what it takes to run it. */
export interface DevnetOperator extends ProvisionedOperator {
  readonly quorums: readonly number[];
  readonly deposit: bigint;
  /**
   * Its key files' password (the BLS key's and the ECDSA keystore's, with which it logs in to
   * the aggregator): generated for this run, handed to its process through the environment.
   */
  readonly password: string;
}

export interface ProvisionOperatorsOptions {
  readonly chain: LocalChain;
  /** Wiped first: every run starts with fresh keys. */
  readonly keysDir: string;
  readonly plans: readonly OperatorPlan[];
  readonly log?: (line: string) => void;
}

/**
 * Creates fresh BLS and ECDSA keys for each operator, funds it, deposits its stake and
 * registers it to its quorums. One after another: the funder's nonces are sequential.
 */
export async function provisionOperators(options: ProvisionOperatorsOptions): Promise<DevnetOperator[]> {
  rmSync(options.keysDir, { recursive: true, force: true });
  mkdirSync(options.keysDir, { recursive: true, mode: 0o700 });
  const operators: DevnetOperator[] = [];
  for (const plan of options.plans) {
    const password = randomBytes(24).toString("base64url");
    const provisioned = await provisionDevnetOperator({
      rpcUrl: options.chain.rpcUrl,
      deploymentsDir: options.chain.deploymentsDir,
      funderPrivateKey: options.chain.roles.deployer.privateKey,
      keysDir: options.keysDir,
      name: plan.name,
      password,
      quorums: plan.quorums,
      depositAmount: plan.deposit,
      log: options.log,
    });
    operators.push({ ...provisioned, quorums: plan.quorums, deposit: plan.deposit, password });
  }
  return operators;
}
