// Where a contract frame's gas goes, by Solidity source line: one 0-non-signer check (or
// NON_SIGNERS=n) traced with anvil's struct logger, each step's gas charged to the line the
// compiler's source map gives its program counter. Lines the compiler generated (ABI encoding
// and decoding, dispatch) have no source: they are summed as "(generated code)".
//
//   npm run build && node packages/integration/dist/bench/profile.js [checker|stakeRegistry|coordinator]
//
// A call is charged to the line that makes it, with everything the callee spent.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { concat, pad } from "viem";
import { GAS_METER_ADDRESS } from "../src/index.js";
import { checkCalldata, measureTask } from "./measure.js";
import { addOperators, startBenchChain } from "./setup.js";

const ARTIFACTS = fileURLToPath(new URL("../../../../contracts/artifacts", import.meta.url));

/**
 * The frames one can profile: depth in the trace (the gas meter is depth 1; a registry's
 * implementation runs at 4, under its proxy) and which entry into that depth (the coordinator's
 * call, made only with non-signers, comes before the stake registry's).
 */
const FRAMES = {
  checker: { depth: 2, entry: "first", contract: "TaskManager", source: "tasks/TaskManager.sol" },
  stakeRegistry: {
    depth: 4,
    entry: "last",
    contract: "StakeRegistry",
    source: "registries/StakeRegistry.sol",
  },
  coordinator: {
    depth: 4,
    entry: "first",
    contract: "RegistryCoordinator",
    source: "registries/RegistryCoordinator.sol",
  },
} as const;

interface StructLog {
  pc: number;
  op: string;
  gas: number;
  depth: number;
}

interface CompiledCode {
  object: string;
  sourceMap: string;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** pc → "file:line text" for the deployed code of `contract`, from its build info. */
function sourceLines(contract: string, source: string): (pc: number) => string {
  const artifact = readJson<{ buildInfoId: string }>(`${ARTIFACTS}/contracts/${source}/${contract}.json`);
  const output = readJson<{
    output: {
      contracts: Record<string, Record<string, { evm: { deployedBytecode: CompiledCode } }>>;
      sources: Record<string, { id: number }>;
    };
  }>(`${ARTIFACTS}/build-info/${artifact.buildInfoId}.output.json`).output;
  const input = readJson<{ input: { sources: Record<string, { content: string }> } }>(
    `${ARTIFACTS}/build-info/${artifact.buildInfoId}.json`,
  ).input;
  const key = Object.keys(output.contracts).find((k) => k.endsWith(`contracts/${source}`));
  const code = key ? output.contracts[key]?.[contract]?.evm.deployedBytecode : undefined;
  if (!code) throw new Error(`no deployed code for ${contract} in its build info`);
  const files = new Map<number, string>();
  for (const [name, { id }] of Object.entries(output.sources)) files.set(id, name);

  // Instruction index of each pc (PUSH1..PUSH32 carry 1..32 bytes of data).
  const bytes = Buffer.from(code.object, "hex");
  const instruction = new Map<number, number>();
  for (let pc = 0, i = 0; pc < bytes.length; ++i) {
    instruction.set(pc, i);
    const op = bytes[pc]!;
    pc += op >= 0x60 && op <= 0x7f ? op - 0x5e : 1;
  }
  // The source map: one "start:length:file:jump" per instruction, empty fields repeat the last.
  const entries: { start: number; file: number }[] = [];
  let start = 0;
  let file = -1;
  for (const entry of code.sourceMap.split(";")) {
    const [s, , f] = entry.split(":");
    if (s) start = Number(s);
    if (f) file = Number(f);
    entries.push({ start, file });
  }
  return (pc) => {
    const entry = entries[instruction.get(pc) ?? -1];
    const name = entry ? files.get(entry.file) : undefined;
    const text = name ? input.sources[name]?.content : undefined;
    if (!entry || !name || text === undefined) return "(generated code)";
    const line = text.slice(0, entry.start).split("\n").length;
    return `${name.split("/").pop()}:${line}  ${text.split("\n")[line - 1]?.trim().slice(0, 80)}`;
  };
}

function profile(
  logs: readonly StructLog[],
  depth: number,
  entry: "first" | "last",
  lineOf: (pc: number) => string,
): { byLine: Map<string, number>; byOpcode: Map<string, number> } {
  const byLine = new Map<string, number>();
  const byOpcode = new Map<string, number>();
  // Number each entry into `depth`; keep the steps of the chosen one.
  const entries: number[] = [];
  let entered = -1;
  for (let i = 0; i < logs.length; ++i) {
    if (logs[i]!.depth === depth && (i === 0 || logs[i - 1]!.depth < depth)) ++entered;
    entries.push(logs[i]!.depth === depth ? entered : -1);
  }
  if (entered < 0) throw new Error(`the trace never reaches depth ${depth}`);
  const chosen = entry === "first" ? 0 : entered;
  for (let i = 0; i < logs.length - 1; ++i) {
    const step = logs[i]!;
    if (entries[i] !== chosen) continue;
    // The next step of this frame: after a call, the first one back at this depth.
    let next = i + 1;
    while (next < logs.length && logs[next]!.depth > depth) ++next;
    if (next >= logs.length || logs[next]!.depth < depth) continue; // the frame's last step
    const line = lineOf(step.pc);
    const spent = step.gas - logs[next]!.gas;
    byLine.set(line, (byLine.get(line) ?? 0) + spent);
    const opcode = next === i + 1 ? step.op : `${step.op} (with its callee)`;
    byOpcode.set(opcode, (byOpcode.get(opcode) ?? 0) + spent);
  }
  return { byLine, byOpcode };
}

async function main(): Promise<void> {
  const which = (process.argv[2] ?? "checker") as keyof typeof FRAMES;
  const frame = FRAMES[which];
  if (!frame) throw new Error(`unknown frame ${which}: one of ${Object.keys(FRAMES).join(", ")}`);
  const nonSigners = Number(process.env.NON_SIGNERS ?? 0);
  const avs = await startBenchChain(undefined);
  try {
    const operators = await addOperators(avs, Math.max(12, nonSigners * 3), 0);
    const skipped = new Set(operators.slice(0, nonSigners).map((op) => op.operatorId));
    const sample = await measureTask(avs, operators, [0], skipped, 1);
    const target = avs.deployment.contracts.taskManager.implementation;
    const data = concat([
      pad(target, { size: 32 }),
      checkCalldata(sample.msgHash, [0], sample.referenceBlock, sample.params),
    ]);
    const trace = (await avs.rpc("debug_traceCall", [
      { to: GAS_METER_ADDRESS, data, gas: "0x5f5e100" },
      "latest",
      { disableStorage: true, disableStack: true, enableMemory: false },
    ])) as { structLogs: StructLog[] };
    const { byLine, byOpcode } = profile(
      trace.structLogs,
      frame.depth,
      frame.entry,
      sourceLines(frame.contract, frame.source),
    );
    const total = [...byLine.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `checkSignatures, 1 quorum, ${nonSigners} non-signers: ${sample.checkHint} gas (gas meter); ` +
        `${which} frame, by source line (calls include their callee), ${total} in all:\n`,
    );
    for (const [line, gasUsed] of [...byLine].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
      process.stdout.write(`${String(gasUsed).padStart(8)}  ${line}\n`);
    }
    // The optimizer shares code blocks between functions, so a source line can be charged for
    // another's steps; the opcode totals do not depend on the source map.
    process.stdout.write("by opcode:\n");
    for (const [opcode, gasUsed] of [...byOpcode].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
      process.stdout.write(`${String(gasUsed).padStart(8)}  ${opcode}\n`);
    }
  } finally {
    await avs.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
