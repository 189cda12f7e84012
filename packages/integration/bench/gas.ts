// npm run bench:gas: gas of the signature check, respondToTask and the whole-quorum stake update
// on anvil, beside eigenlayer-middleware's figures. Progress goes to stderr; the table to stdout,
// whose last line is one JSON object.
//
// Environment: BENCH_SAMPLES (tasks per configuration, default 8); BENCH_HARDFORKS (comma list,
// "default" = anvil's own; default "default,prague").
import { execFileSync } from "node:child_process";
import { resolveAnvilBinary } from "@avskit/devnet";
import { figures, render, renderBreakdowns, targetLines } from "./report.js";
import { type RunResult, runBenchmark } from "./run.js";

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} is not a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const samples = positiveInt("BENCH_SAMPLES", 8);
  const hardforks = (process.env.BENCH_HARDFORKS ?? "default,prague")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const anvilVersion = execFileSync(resolveAnvilBinary(), ["--version"], { encoding: "utf8" })
    .split("\n")[0]!
    .replace(/^anvil Version:\s*/, "");

  const runs: RunResult[] = [];
  for (const hardfork of hardforks) {
    runs.push(await runBenchmark(hardfork === "default" ? undefined : hardfork, samples, log));
  }
  const [main, ...others] = runs;
  if (!main) throw new Error("BENCH_HARDFORKS is empty");
  process.stdout.write(`${render(runs, samples, anvilVersion)}\n\n${renderBreakdowns(main)}\n\n`);
  const mainFigures = figures(main);
  process.stdout.write(`${targetLines(mainFigures)}\n`);
  const json: Record<string, unknown> = { ...mainFigures, samples };
  for (const run of others) json[run.hardfork.toLowerCase()] = figures(run);
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:gas failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
