// npm run bench:avs-sync — one full sync of a quorum of 50 and of 200 operators on anvil,
// through avs-sync's own entry point (the same code the bin runs): gas per operator of the
// updateOperatorsForQuorum transaction and wall time of the run (reads of every operator's
// stake and weight, gas estimate, send, receipt). Registering the operators (with the test
// kit's bulk helpers) is set-up and is not measured.
import { stakeRegistryAbi } from "@avskit/bindings";
import type { QuorumConfig } from "@avskit/deploy";
import {
  captureLogs,
  E18,
  type OperatorSpec,
  registerOperators,
  startTestAvs,
  strategyOf,
  type TestAvs,
} from "@avskit/integration";
import { syncService } from "../src/service.js";
import { traceStakeUpdate } from "./trace.js";

/** Layr-Labs/avs-sync's figure for EigenDA: ~11.4M gas for 200 operators with 10 strategies. */
const ANCHOR_GAS_200_OPERATORS_10_STRATEGIES = 11_400_000;
const ANCHOR_GAS_PER_OPERATOR = Math.round(ANCHOR_GAS_200_OPERATORS_10_STRATEGIES / 200);

const OPERATOR_SET = { maxOperatorCount: 256, kickBIPsOfOperatorStake: 11_000, kickBIPsOfTotalStake: 1_001 };
const ONE_STRATEGY_QUORUM = 0;
const TEN_STRATEGY_QUORUM = 1;
const QUORUMS: QuorumConfig[] = [
  {
    minimumStake: E18,
    operatorSetParams: OPERATOR_SET,
    strategies: [{ token: { name: "Bench Token", symbol: "BENCH" }, multiplier: E18 }],
  },
  {
    minimumStake: E18,
    operatorSetParams: OPERATOR_SET,
    strategies: Array.from({ length: 10 }, (_, i) => ({
      token: { name: `Bench Token ${i}`, symbol: `BT${i}` },
      multiplier: E18,
    })),
  },
];

interface SyncMeasure {
  txHash: string;
  operators: number;
  gasUsed: number;
  wallMs: number;
}

/** Changes the quorum's first multiplier, so every operator's weight (and the stake to record) changes. */
async function changeEveryWeight(avs: TestAvs, quorum: number, multiplier: bigint): Promise<void> {
  const sent = await avs.sender.sendLabelled("modifyStrategyParams", avs.deployer, {
    to: avs.deployment.contracts.stakeRegistry.proxy,
    abi: stakeRegistryAbi,
    functionName: "modifyStrategyParams",
    args: [quorum, [0n], [multiplier]],
    gas: 200_000n,
  });
  await avs.sender.confirm([sent]);
}

/** `count` operators registered in both quorums, with `stake` in each quorum's first strategy. */
function operatorSpecs(avs: TestAvs, count: number, stake: bigint): OperatorSpec[] {
  const quorums = [ONE_STRATEGY_QUORUM, TEN_STRATEGY_QUORUM];
  const deposits = quorums.map((quorum) => ({ strategy: strategyOf(avs.deployment, quorum), amount: stake }));
  return Array.from({ length: count }, () => ({ quorums, deposits }));
}

async function syncQuorum(avs: TestAvs, quorum: number, extra: string[] = []): Promise<SyncMeasure> {
  const { lines, stream } = captureLogs();
  const code = await syncService.main(
    [
      "--eth-http-url",
      avs.rpcUrl,
      "--deployments-dir",
      avs.deploymentsDir,
      "--quorums",
      String(quorum),
      "--sync-interval",
      "0",
      "--refresh-after",
      "0",
      "--metrics-addr",
      "none",
      ...extra,
    ],
    {
      // anvil account 3: not one of the kit's deployer and role holders.
      env: { AVS_SYNC_ECDSA_PRIVATE_KEY: avs.anvil.accounts[3]!.privateKey },
      logDestination: stream,
      handleSignals: false,
      deps: { pollingIntervalMs: 20 },
    },
  );
  const updated = lines.find((l) => l.msg === "stakes updated");
  const run = lines.find((l) => l.msg === "sync run finished");
  if (code !== 0 || !updated || !run) {
    throw new Error(
      `sync of quorum ${quorum} failed (exit ${code}):\n${lines.map((l) => JSON.stringify(l)).join("\n")}`,
    );
  }
  return {
    txHash: String(updated.txHash),
    operators: Number(updated.operators),
    gasUsed: Number(updated.gasUsed),
    wallMs: Number(run.durationMs),
  };
}

function perOperator(measure: SyncMeasure): number {
  return Math.round(measure.gasUsed / measure.operators);
}

function report(label: string, measure: SyncMeasure): void {
  console.log(
    `${label.padEnd(44)} ${String(measure.operators).padStart(4)} operators  ${String(
      measure.gasUsed,
    ).padStart(
      10,
    )} gas  ${String(perOperator(measure)).padStart(6)} gas/operator  ${String(measure.wallMs).padStart(6)} ms`,
  );
}

async function bench(): Promise<void> {
  console.log("starting anvil and deploying (quorum 0: 1 strategy; quorum 1: 10 strategies)…");
  const trace = process.argv.includes("--trace");
  const avs = await startTestAvs({ quorums: QUORUMS, stepsTracing: trace });
  try {
    const started = Date.now();
    await registerOperators(avs, operatorSpecs(avs, 50, 10n * E18));
    console.log(`registered 50 operators in ${Date.now() - started} ms (set-up, not measured)`);
    await changeEveryWeight(avs, ONE_STRATEGY_QUORUM, (E18 * 11n) / 10n);
    await changeEveryWeight(avs, TEN_STRATEGY_QUORUM, (E18 * 11n) / 10n);
    const q50 = await syncQuorum(avs, ONE_STRATEGY_QUORUM);
    const q50ten = await syncQuorum(avs, TEN_STRATEGY_QUORUM);
    if (trace) {
      for (const [label, measure] of [
        ["1 strategy", q50],
        ["10 strategies", q50ten],
      ] as const) {
        console.log(`where the gas goes, ${label}, ${measure.operators} operators (struct-logger trace):`);
        for (const line of await traceStakeUpdate(avs, measure.txHash, measure.operators))
          console.log(`  ${line}`);
      }
    }

    const more = Date.now();
    await registerOperators(avs, operatorSpecs(avs, 150, 10n * E18));
    console.log(`registered 150 more operators in ${Date.now() - more} ms (set-up, not measured)`);
    await changeEveryWeight(avs, ONE_STRATEGY_QUORUM, (E18 * 12n) / 10n);
    await changeEveryWeight(avs, TEN_STRATEGY_QUORUM, (E18 * 12n) / 10n);
    const q200 = await syncQuorum(avs, ONE_STRATEGY_QUORUM);
    const q200ten = await syncQuorum(avs, TEN_STRATEGY_QUORUM);
    // An operator's stake history keeps two entries a slot: the update that completes a pair
    // writes a fresh slot, the next one does not. The 200-operator syncs above complete the pair
    // of the 150 operators registered last; the next full sync is the other half of the cycle.
    await changeEveryWeight(avs, ONE_STRATEGY_QUORUM, (E18 * 13n) / 10n);
    await changeEveryWeight(avs, TEN_STRATEGY_QUORUM, (E18 * 13n) / 10n);
    const q200next = await syncQuorum(avs, ONE_STRATEGY_QUORUM);
    const q200tenNext = await syncQuorum(avs, TEN_STRATEGY_QUORUM);
    // Same quorum again with every stake already current (--force): no stake history written.
    const q200unchanged = await syncQuorum(avs, ONE_STRATEGY_QUORUM, ["--force"]);
    const q200tenUnchanged = await syncQuorum(avs, TEN_STRATEGY_QUORUM, ["--force"]);

    console.log("");
    console.log("full sync of one quorum (updateOperatorsForQuorum), every operator's stake changed:");
    report("1 strategy", q50);
    report("1 strategy", q200);
    report("10 strategies", q50ten);
    report("10 strategies", q200ten);
    console.log(
      "the next full sync, every stake changed again (the other half of the two-entry slot cycle):",
    );
    report("1 strategy", q200next);
    report("10 strategies", q200tenNext);
    console.log("the same, every stake already current (--force; no stake history written):");
    report("1 strategy", q200unchanged);
    report("10 strategies", q200tenUnchanged);
    console.log(
      `anchor (Layr-Labs/avs-sync, EigenDA): ~${ANCHOR_GAS_200_OPERATORS_10_STRATEGIES.toLocaleString("en")} gas for 200 operators × 10 strategies ≈ ${ANCHOR_GAS_PER_OPERATOR.toLocaleString("en")} gas/operator`,
    );
    console.log(
      `ours at 200 operators: ${perOperator(q200ten).toLocaleString("en")} gas/operator with 10 strategies (${perOperator(q200tenUnchanged).toLocaleString("en")} when no stake changed), ${perOperator(q200).toLocaleString("en")} with the 1 strategy the headline figures use`,
    );
    console.log(
      JSON.stringify({
        strategies: 1,
        gas_per_operator_50: perOperator(q50),
        gas_per_operator_200: perOperator(q200),
        gas_200: q200.gasUsed,
        wall_ms_50: q50.wallMs,
        wall_ms_200: q200.wallMs,
        gas_per_operator_50_10_strategies: perOperator(q50ten),
        gas_per_operator_200_10_strategies: perOperator(q200ten),
        gas_200_10_strategies: q200ten.gasUsed,
        wall_ms_200_10_strategies: q200ten.wallMs,
        gas_per_operator_200_next: perOperator(q200next),
        gas_per_operator_200_10_strategies_next: perOperator(q200tenNext),
        gas_per_operator_200_unchanged: perOperator(q200unchanged),
        gas_per_operator_200_10_strategies_unchanged: perOperator(q200tenUnchanged),
        anchor_gas_200_10_strategies: ANCHOR_GAS_200_OPERATORS_10_STRATEGIES,
        anchor_gas_per_operator: ANCHOR_GAS_PER_OPERATOR,
      }),
    );
  } finally {
    await avs.stop();
  }
}

bench().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
