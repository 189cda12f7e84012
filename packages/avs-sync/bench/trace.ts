// `npm run bench:avs-sync -- --trace`: where one operator's stake update goes. Replays a mined
// updateOperatorsForQuorum transaction with anvil's struct logger (anvil started with
// --steps-tracing) and prints the gas of each opcode group per contract, divided by the
// operator count. Call frames are named after the deployment's contracts; a proxy's
// DELEGATECALL stays in the proxy's name.
import type { TestAvs } from "@avskit/integration";

interface StructLog {
  op: string;
  gasCost: number;
  depth: number;
  gas: number;
  stack?: string[];
}

interface Frame {
  name: string;
}

/** The restaking stand-in is not a proxy: its addresses sit one level down in the deployment. */
function addNames(map: Map<string, string>, prefix: string, value: unknown): void {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) {
    map.set(value.toLowerCase(), prefix);
  } else if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const isProxy = entries.some(([key]) => key === "proxy");
    for (const [key, inner] of entries) addNames(map, isProxy ? prefix : key, inner);
  }
}

/** Opcode groups the report keeps apart; everything else is "other". */
function group(op: string): string {
  if (op === "SLOAD" || op === "SSTORE" || op === "KECCAK256") return op;
  if (op.startsWith("LOG")) return "LOG";
  if (op === "CALL" || op === "STATICCALL" || op === "DELEGATECALL") return "CALL";
  if (
    op === "CALLDATACOPY" ||
    op === "RETURNDATACOPY" ||
    op === "MSTORE" ||
    op === "MLOAD" ||
    op === "MCOPY"
  ) {
    return "memory";
  }
  return "other";
}

function contractNames(avs: TestAvs): Map<string, string> {
  const map = new Map<string, string>();
  addNames(map, "deployment", avs.deployment);
  return map;
}

/** Gas per (contract, opcode group) of transaction `txHash`, divided by `operators`. */
export async function traceStakeUpdate(avs: TestAvs, txHash: string, operators: number): Promise<string[]> {
  // A plain fetch: the trace (tens of MB) exceeds viem's response size limit.
  const response = await fetch(avs.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "debug_traceTransaction",
      params: [txHash, { disableStorage: true, enableMemory: false, disableStack: false }],
    }),
  });
  const trace = ((await response.json()) as { result: { structLogs: StructLog[] } }).result;
  const names = contractNames(avs);
  const frames: Frame[] = [{ name: "RegistryCoordinator" }];
  const totals = new Map<string, number>();
  const logs = trace.structLogs;
  if (!Array.isArray(logs) || logs.length === 0) {
    throw new Error(`no struct logs in the trace of ${txHash}: ${JSON.stringify(trace).slice(0, 300)}`);
  }
  for (let i = 0; i < logs.length; i++) {
    const step = logs[i]!;
    while (frames.length > step.depth) frames.pop();
    const frame = frames[frames.length - 1]!;
    let cost = step.gasCost;
    const next = logs[i + 1];
    const kind = group(step.op);
    if (kind === "CALL" && next && next.depth > step.depth) {
      // gasCost of a call includes the gas handed to the callee; keep only the access and
      // value part (the callee's own steps are counted in its frame).
      const stack = step.stack ?? [];
      cost = Math.max(0, cost - next.gas);
      const to = `0x${BigInt(stack[stack.length - 2] ?? "0")
        .toString(16)
        .padStart(40, "0")}`;
      const callee = names.get(to) ?? (BigInt(to) < 16n ? `precompile ${BigInt(to)}` : to);
      const inherits = step.op === "DELEGATECALL" ? frame.name : callee;
      frames.push({ name: inherits });
    }
    const key = `${frame.name}\t${kind}`;
    totals.set(key, (totals.get(key) ?? 0) + cost);
  }
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((s, [, gas]) => s + gas, 0);
  return [
    ...rows.map(([key, gas]) => {
      const [contract, kind] = key.split("\t");
      return `${(contract ?? "").padEnd(22)} ${(kind ?? "").padEnd(10)} ${String(Math.round(gas / operators)).padStart(7)} gas/operator`;
    }),
    `${"execution, all frames".padEnd(33)} ${String(Math.round(sum / operators)).padStart(7)} gas/operator`,
  ];
}
