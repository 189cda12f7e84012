// Where checkSignatures' gas goes: a callTracer trace of the measured call, grouped by callee.
import { type Address, concat, type Hex, pad } from "viem";
import { GAS_METER_ADDRESS, type TestAvs } from "../src/index.js";

interface CallFrame {
  type: string;
  to?: string;
  gasUsed: string;
  calls?: CallFrame[];
}

export interface BreakdownLine {
  callee: string;
  calls: number;
  /** Gas of those frames including their own sub-calls. */
  gas: number;
}

export interface Breakdown {
  /** Gas of the checkSignatures frame itself (as the meter's CALL sees it, minus access cost). */
  total: number;
  /** Gas spent in the checker's own code (total minus its direct sub-calls). */
  own: number;
  lines: BreakdownLine[];
}

const PRECOMPILES: Record<string, string> = {
  "0x0000000000000000000000000000000000000005": "modexp (0x05)",
  "0x0000000000000000000000000000000000000006": "ecAdd (0x06)",
  "0x0000000000000000000000000000000000000007": "ecMul (0x07)",
  "0x0000000000000000000000000000000000000008": "pairing (0x08)",
};

function labels(avs: TestAvs): Map<string, string> {
  const map = new Map<string, string>(Object.entries(PRECOMPILES));
  for (const [name, contract] of Object.entries(avs.deployment.contracts)) {
    if (typeof contract === "string") {
      map.set(contract.toLowerCase(), name);
    } else {
      map.set(contract.proxy.toLowerCase(), `${name} (proxy)`);
      map.set(contract.implementation.toLowerCase(), `${name} (implementation)`);
    }
  }
  return map;
}

/** Traces the checkSignatures call made through the gas meter and groups its direct sub-calls. */
export async function traceBreakdown(avs: TestAvs, target: Address, calldata: Hex): Promise<Breakdown> {
  const trace = (await avs.rpc("debug_traceCall", [
    { to: GAS_METER_ADDRESS, data: concat([pad(target, { size: 32 }), calldata]), gas: "0x5f5e100" },
    "latest",
    { tracer: "callTracer" },
  ])) as CallFrame;
  const checker = trace.calls?.[0];
  if (!checker) throw new Error("the trace has no call from the gas meter");
  const names = labels(avs);
  const groups = new Map<string, BreakdownLine>();
  let children = 0;
  for (const call of checker.calls ?? []) {
    const gasUsed = Number(BigInt(call.gasUsed));
    children += gasUsed;
    const to = (call.to ?? "").toLowerCase();
    const name = `${names.get(to) ?? to} ${call.type}`;
    const line = groups.get(name) ?? { callee: name, calls: 0, gas: 0 };
    line.calls += 1;
    line.gas += gasUsed;
    groups.set(name, line);
  }
  const total = Number(BigInt(checker.gasUsed));
  return { total, own: total - children, lines: [...groups.values()].sort((a, b) => b.gas - a.gas) };
}
