/**
 * BLS benchmark: `npm run bench:bls` from the repository root.
 *
 * Times the primitives, then verifying 200 signatures on one message one check at a time
 * (`verifyIndividually`: one 2-pair check per signature through `verifySignature`) against the
 * batch method (`verifyBatch`), once with all valid and once with 10 invalid at random
 * positions. Keys and signatures are made and parsed from their wire encodings before any
 * timed region, as an aggregator holds them. Each figure is the median of several timed runs
 * after a warm-up run. The last line printed is one JSON object with the figures.
 */
import { randomBytes } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  type BatchVerifyResult,
  g1FromBytes,
  g1ToBytes,
  g2FromBytes,
  g2ToBytes,
  generateKeyPair,
  hashToG1,
  type SignedItem,
  signDigest,
  verifyBatch,
  verifyIndividually,
  verifySignature,
} from "../src/index.js";

const SIGNERS = 200;
const BAD = 10;
/** Rounds of the 200-signature comparisons: each times the naive method once and the fast one twice. */
const ROUNDS = 3;
const FAST_PER_ROUND = 2;
const PRIMITIVE_RUNS = 25;
/** Warm-up of the one-by-one method: enough checks for the JIT, far fewer than a full run. */
const NAIVE_WARMUP_ITEMS = 20;
/** eigensdk-js (mcl-wasm), measured on this machine kind: ms per signature check (reference notes). */
const EIGENSDK_JS_MS_PER_CHECK = 4.2;

/** Wall-clock and this process's CPU time, in ms. The CPU figure shrugs off other processes' load. */
interface Timing {
  wall: number;
  cpu: number;
}

function digestOf(text: string): Uint8Array {
  return keccak_256(new TextEncoder().encode(text));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianTiming(samples: readonly Timing[]): Timing {
  return { wall: median(samples.map((t) => t.wall)), cpu: median(samples.map((t) => t.cpu)) };
}

function measure<T>(fn: () => T): { result: T; timing: Timing } {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const result = fn();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { result, timing: { wall, cpu: (cpu.user + cpu.system) / 1000 } };
}

/** Median of `runs` timed calls after one untimed warm-up call. */
function time(runs: number, fn: () => unknown): Timing {
  fn();
  return medianTiming(Array.from({ length: runs }, () => measure(fn).timing));
}

/**
 * Naive and fast runs interleaved round by round, so that both see the same load from the
 * other processes on this shared machine; `check` sees every result.
 */
function compare(
  naive: () => BatchVerifyResult,
  fast: () => BatchVerifyResult,
  check: (method: "naive" | "fast", result: BatchVerifyResult) => void,
): { naive: Timing; fast: Timing } {
  const naiveSamples: Timing[] = [];
  const fastSamples: Timing[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const n = measure(naive);
    check("naive", n.result);
    naiveSamples.push(n.timing);
    for (let i = 0; i < FAST_PER_ROUND; i++) {
      const f = measure(fast);
      check("fast", f.result);
      fastSamples.push(f.timing);
    }
  }
  return { naive: medianTiming(naiveSamples), fast: medianTiming(fastSamples) };
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function randomPositions(count: number, below: number): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(randomBytes(4).readUInt32BE(0) % below);
  return [...picked].sort((a, b) => a - b);
}

const round = (ms: number, digits = 2) => Number(ms.toFixed(digits));

function main(): void {
  const digest = digestOf(`avskit bench task ${Date.now()}`);
  const otherDigest = digestOf("a different task response");

  // Setup, untimed: keys from the CSPRNG, signatures, both parsed as they arrive off the wire.
  const signers = Array.from({ length: SIGNERS }, () => generateKeyPair());
  const valid: SignedItem[] = signers.map((key) => ({
    publicKeyG2: g2FromBytes(g2ToBytes(key.publicKeyG2)),
    signature: g1FromBytes(g1ToBytes(signDigest(key.secretKey, digest))),
  }));
  const badPositions = randomPositions(BAD, SIGNERS);
  const withBad: SignedItem[] = valid.map((item, i) =>
    badPositions.includes(i)
      ? { ...item, signature: g1FromBytes(g1ToBytes(signDigest(signers[i]!.secretKey, otherDigest))) }
      : item,
  );

  // Warm-up, untimed: JIT for both methods, and the per-point validity caches they share.
  verifyIndividually(digest, valid.slice(0, NAIVE_WARMUP_ITEMS));
  verifyIndividually(digest, withBad.slice(0, NAIVE_WARMUP_ITEMS));
  verifyBatch(digest, valid);
  verifyBatch(digest, withBad);

  // Primitives.
  const first = signers[0]!;
  const sign = time(PRIMITIVE_RUNS, () => signDigest(first.secretKey, digest));
  const verify = time(PRIMITIVE_RUNS, () =>
    verifySignature(valid[0]!.publicKeyG2, digest, valid[0]!.signature),
  );
  const hash = time(PRIMITIVE_RUNS * 8, () => hashToG1(digest));

  // 200 valid.
  let fastChecks = 0;
  const allValid = compare(
    () => verifyIndividually(digest, valid),
    () => verifyBatch(digest, valid),
    (method, result) => {
      if (!result.allValid) throw new Error(`${method}: a valid set was rejected`);
      if (method === "fast") fastChecks = result.pairingChecks;
    },
  );

  // 200 with 10 bad: bad10_identified needs every fast run to name exactly the bad positions.
  let naiveIdentified = true;
  let fastIdentified = true;
  let fastBadChecks = 0;
  const someBad = compare(
    () => verifyIndividually(digest, withBad),
    () => verifyBatch(digest, withBad),
    (method, result) => {
      const exact = sameSet(result.invalid, badPositions);
      if (method === "naive") naiveIdentified &&= exact;
      else {
        fastIdentified &&= exact;
        fastBadChecks = result.pairingChecks;
      }
    },
  );

  const anchor200 = EIGENSDK_JS_MS_PER_CHECK * SIGNERS;
  const perSignature = (t: Timing) => `${(t.wall / SIGNERS).toFixed(3)} ms per signature`;
  const rows: Array<[string, Timing, string]> = [
    ["sign (sk·hashToG1)", sign, "per signature"],
    ["hashToG1", hash, "per digest"],
    ["verify one signature", verify, "one 2-pair check"],
    [`naive: ${SIGNERS} valid, one by one`, allValid.naive, perSignature(allValid.naive)],
    [
      `fast:  ${SIGNERS} valid, verifyBatch`,
      allValid.fast,
      `${perSignature(allValid.fast)}, ${fastChecks} pairing check(s)`,
    ],
    [`naive: ${SIGNERS} with ${BAD} bad`, someBad.naive, `bad ones named exactly: ${naiveIdentified}`],
    [
      `fast:  ${SIGNERS} with ${BAD} bad`,
      someBad.fast,
      `bad ones named exactly: ${fastIdentified}, ${fastBadChecks} pairing checks`,
    ],
    [
      `anchor: eigensdk-js, ${SIGNERS} checks`,
      { wall: anchor200, cpu: Number.NaN },
      `${EIGENSDK_JS_MS_PER_CHECK} ms per signature (mcl-wasm, reference notes, idle machine; not run here)`,
    ],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  const cell = (ms: number) => (Number.isNaN(ms) ? "-" : ms.toFixed(ms < 1 ? 3 : 1)).padStart(10);
  console.log(`@avskit/bls benchmark (Node ${process.version}; medians after a warm-up)`);
  console.log(`${"operation".padEnd(width)}  ${"wall ms".padStart(10)}  ${"cpu ms".padStart(10)}  notes`);
  for (const [name, timing, note] of rows) {
    console.log(`${name.padEnd(width)}  ${cell(timing.wall)}  ${cell(timing.cpu)}  ${note}`);
  }
  const speedup = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
  console.log(
    `speedup, ${SIGNERS} valid: ${speedup(allValid.naive.wall, allValid.fast.wall)} wall, ` +
      `${speedup(allValid.naive.cpu, allValid.fast.cpu)} cpu; with ${BAD} bad: ` +
      `${speedup(someBad.naive.wall, someBad.fast.wall)} wall, ${speedup(someBad.naive.cpu, someBad.fast.cpu)} cpu; ` +
      `fast (valid) vs the eigensdk-js anchor: ${speedup(anchor200, allValid.fast.wall)} wall, ${speedup(anchor200, allValid.fast.cpu)} cpu`,
  );
  console.log(`bad positions: ${badPositions.join(", ")}`);

  console.log(
    JSON.stringify({
      sign_ms: round(sign.wall, 3),
      hash_to_g1_ms: round(hash.wall, 3),
      verify_ms: round(verify.wall),
      naive_200_ms: round(allValid.naive.wall, 1),
      fast_200_ms: round(allValid.fast.wall, 1),
      speedup_200: round(allValid.naive.wall / allValid.fast.wall),
      naive_200_bad10_ms: round(someBad.naive.wall, 1),
      fast_200_bad10_ms: round(someBad.fast.wall, 1),
      speedup_200_bad10: round(someBad.naive.wall / someBad.fast.wall),
      bad10_identified: fastIdentified,
      naive_bad10_identified: naiveIdentified,
      fast_200_pairing_checks: fastChecks,
      fast_200_bad10_pairing_checks: fastBadChecks,
      cpu_naive_200_ms: round(allValid.naive.cpu, 1),
      cpu_fast_200_ms: round(allValid.fast.cpu, 1),
      cpu_speedup_200: round(allValid.naive.cpu / allValid.fast.cpu),
      cpu_naive_200_bad10_ms: round(someBad.naive.cpu, 1),
      cpu_fast_200_bad10_ms: round(someBad.fast.cpu, 1),
      cpu_speedup_200_bad10: round(someBad.naive.cpu / someBad.fast.cpu),
      eigensdk_js_ms_per_check: EIGENSDK_JS_MS_PER_CHECK,
      eigensdk_js_200_ms: anchor200,
    }),
  );
}

main();
