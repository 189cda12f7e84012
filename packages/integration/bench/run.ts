// One full benchmark run on one anvil (one hardfork).
import type { Hex } from "viem";
import { strategyOf, type TestOperator } from "../src/index.js";
import { type Breakdown, traceBreakdown } from "./breakdown.js";
import { type CheckSample, checkCalldata, measureTask, measureUpdate, type UpdateSample } from "./measure.js";
import { addOperators, startBenchChain } from "./setup.js";

export const NON_SIGNERS_ONE_QUORUM = [0, 1, 2, 10, 50] as const;
export const NON_SIGNERS_TWO_QUORUMS = [0, 1, 10, 50] as const;

export interface RunResult {
  hardfork: string;
  /** Key `${quorumCount}:${nonSigners}`. */
  checks: Map<string, CheckSample[]>;
  updates: {
    oneStrategy: Map<number, UpdateSample>;
    tenStrategies: Map<number, UpdateSample>;
  };
  breakdowns: { label: string; breakdown: Breakdown }[];
}

/**
 * hashToG1 tries of the successive samples: a random digest needs t tries with probability
 * 2^-t, so the first 8 samples are spread 4/2/1/1 over 1..4 tries (mean 1.875; the true mean is 2).
 */
export const TRIES_PLAN = [1, 2, 1, 3, 1, 2, 1, 4] as const;

export const checkKey = (quorumCount: number, nonSigners: number) => `${quorumCount}:${nonSigners}`;

/** A different set of `count` non-signers for each sample (a stride walk over the operators). */
function pickNonSigners(operators: readonly TestOperator[], count: number, sample: number): Set<Hex> {
  const picked = new Set<Hex>();
  for (let j = 0; picked.size < count; ++j) {
    picked.add(operators[(sample * 53 + j * 7) % operators.length]!.operatorId);
  }
  return picked;
}

export async function runBenchmark(
  hardfork: string | undefined,
  samples: number,
  log: (line: string) => void,
): Promise<RunResult> {
  const started = Date.now();
  const avs = await startBenchChain(hardfork);
  const tag = `[${avs.hardfork}]`;
  log(`${tag} anvil ${avs.rpcUrl}, deployed`);
  try {
    const dep = avs.deployment;
    const first = await addOperators(avs, 50, 0);
    log(`${tag} 50 operators registered in quorums 0, 1, 2 (${Date.now() - started} ms)`);
    const oneStrategy = new Map<number, UpdateSample>();
    const tenStrategies = new Map<number, UpdateSample>();
    oneStrategy.set(50, await measureUpdate(avs, first, 0, strategyOf(dep, 0)));
    tenStrategies.set(50, await measureUpdate(avs, first, 2, strategyOf(dep, 2, 0)));
    const operators = [...first, ...(await addOperators(avs, 150, 50))];
    log(`${tag} 200 operators registered (${Date.now() - started} ms)`);
    oneStrategy.set(200, await measureUpdate(avs, operators, 0, strategyOf(dep, 0)));
    tenStrategies.set(200, await measureUpdate(avs, operators, 2, strategyOf(dep, 2, 1)));
    log(`${tag} whole-quorum updates measured (${Date.now() - started} ms)`);

    const checks = new Map<string, CheckSample[]>();
    const configs = [
      { quorums: [0], nonSigners: NON_SIGNERS_ONE_QUORUM },
      { quorums: [0, 1], nonSigners: NON_SIGNERS_TWO_QUORUMS },
    ];
    for (const { quorums, nonSigners } of configs) {
      for (const count of nonSigners) {
        const list: CheckSample[] = [];
        for (let s = 0; s < samples; ++s) {
          list.push(
            await measureTask(
              avs,
              operators,
              quorums,
              pickNonSigners(operators, count, s),
              TRIES_PLAN[s % TRIES_PLAN.length]!,
            ),
          );
        }
        checks.set(checkKey(quorums.length, count), list);
      }
      log(`${tag} ${quorums.length}-quorum checks measured (${Date.now() - started} ms)`);
    }

    const breakdowns: RunResult["breakdowns"] = [];
    const implementation = dep.contracts.taskManager.implementation;
    for (const [label, key, withHint] of [
      ["1 quorum, 0 non-signers, hint", checkKey(1, 0), true],
      ["1 quorum, 0 non-signers, no hint", checkKey(1, 0), false],
      ["1 quorum, 10 non-signers, hint", checkKey(1, 10), true],
    ] as const) {
      const sample = checks.get(key)![0]!;
      const params = withHint
        ? sample.params
        : { ...sample.params, hashHint: { nonResidueRoots: [], y: 0n, yRoot: 0n } };
      breakdowns.push({
        label: `${label} (hashToG1 tries: ${sample.tries})`,
        breakdown: await traceBreakdown(
          avs,
          implementation,
          checkCalldata(sample.msgHash, [0], sample.referenceBlock, params),
        ),
      });
    }
    log(`${tag} done in ${Date.now() - started} ms`);
    return { hardfork: avs.hardfork, checks, updates: { oneStrategy, tenStrategies }, breakdowns };
  } finally {
    await avs.stop();
  }
}
