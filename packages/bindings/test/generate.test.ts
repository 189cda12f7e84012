import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = join(dirname(fileURLToPath(import.meta.url)), "..", "scripts", "generate.mjs");
const libraryRuntime = `0x73${"00".repeat(20)}30146080604052600080fd`;

interface FakeArtifact {
  contractName: string;
  sourceName: string;
  bytecode?: string;
  deployedBytecode?: string;
  abi?: unknown[];
}

function writeArtifact(root: string, artifact: FakeArtifact): void {
  const dir = join(root, artifact.sourceName);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${artifact.contractName}.json`),
    JSON.stringify({
      _format: "hh3-artifact-1",
      abi: [{ type: "function", name: "f", inputs: [], outputs: [], stateMutability: "view" }],
      bytecode: "0x6080",
      deployedBytecode: "0x6080",
      linkReferences: {},
      ...artifact,
    }),
  );
}

function run(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
  return { status: result.status, stderr: result.stderr };
}

function fixture(artifacts: FakeArtifact[]): { artifacts: string; out: string } {
  const root = mkdtempSync(join(tmpdir(), "avskit-gen-"));
  const dir = join(root, "artifacts");
  mkdirSync(join(dir, "contracts"), { recursive: true });
  mkdirSync(join(dir, "build-info"), { recursive: true });
  writeFileSync(join(dir, "build-info", "solc-x.json"), JSON.stringify({ _format: "hh3-sol-build-info-1" }));
  for (const artifact of artifacts) writeArtifact(dir, artifact);
  return { artifacts: dir, out: join(root, "out") };
}

describe("generate.mjs", () => {
  it("collects every custom error once, by signature (tuples spelled out), sorted", () => {
    const error = (name: string, inputs: unknown[]) => ({ type: "error", name, inputs });
    const tuple = { type: "tuple", name: "p", components: [{ type: "uint256" }, { type: "address" }] };
    const paths = fixture([
      {
        contractName: "A",
        sourceName: "contracts/A.sol",
        abi: [error("Late", []), error("Shared", [{ type: "uint256" }]), error("Point", [tuple])],
      },
      {
        contractName: "B",
        sourceName: "contracts/B.sol",
        abi: [error("Shared", [{ type: "uint256" }]), error("Shared", [{ type: "address" }])],
      },
    ]);
    expect(run(["--artifacts", paths.artifacts, "--out", paths.out]).status).toBe(0);
    const text = readFileSync(join(paths.out, "allContractErrors.ts"), "utf8");
    const abi = JSON.parse(text.slice(text.indexOf("= [") + 2, text.lastIndexOf("] as const") + 1)) as {
      name: string;
      inputs: { type: string }[];
    }[];
    // The packaged OpenZeppelin proxies add their own errors; ours come in signature order.
    const ours = abi.filter((e) => ["Late", "Point", "Shared"].includes(e.name));
    expect(ours.map((e) => `${e.name}(${e.inputs.map((i) => i.type).join(",")})`)).toEqual([
      "Late()",
      "Point(tuple)",
      "Shared(address)",
      "Shared(uint256)",
    ]);
  });

  it("writes one sorted module per contract, bytecode only for deployable ones, and skips test harnesses", () => {
    const paths = fixture([
      {
        contractName: "StakeRegistry",
        sourceName: "contracts/registries/StakeRegistry.sol",
        bytecode: "0x60aa",
      },
      { contractName: "BLSApkRegistry", sourceName: "contracts/registries/BLSApkRegistry.sol" },
      { contractName: "IStrategy", sourceName: "contracts/interfaces/IStrategy.sol", bytecode: "0x" },
      {
        contractName: "BN254",
        sourceName: "contracts/libraries/BN254.sol",
        deployedBytecode: libraryRuntime,
      },
      { contractName: "BN254Harness", sourceName: "contracts/test/BN254Harness.sol" },
      {
        contractName: "TransparentUpgradeableProxy",
        sourceName: "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol",
      },
    ]);
    writeFileSync(join(paths.artifacts, "contracts", "ignored.dbg.json"), "{}");
    const result = run(["--artifacts", paths.artifacts, "--out", paths.out]);
    expect(result.stderr).toMatch(/6 contracts/);
    expect(result.status).toBe(0);

    expect(readdirSync(paths.out).sort()).toEqual([
      "BLSApkRegistry.ts",
      "BN254.ts",
      "IStrategy.ts",
      "ProxyAdmin.ts",
      "StakeRegistry.ts",
      "TransparentUpgradeableProxy.ts",
      "allContractErrors.ts",
      "index.ts",
    ]);
    const stake = readFileSync(join(paths.out, "StakeRegistry.ts"), "utf8");
    expect(stake).toContain("export const stakeRegistryAbi = [");
    expect(stake).toContain("] as const;");
    expect(stake).toContain('export const stakeRegistryBytecode = "0x60aa" as const;');
    expect(readFileSync(join(paths.out, "BLSApkRegistry.ts"), "utf8")).toContain(
      "export const blsApkRegistryAbi",
    );
    expect(readFileSync(join(paths.out, "IStrategy.ts"), "utf8")).not.toContain("Bytecode");
    const library = readFileSync(join(paths.out, "BN254.ts"), "utf8");
    expect(library).toContain("export const bn254Abi");
    expect(library).not.toContain("Bytecode");
    expect(readFileSync(join(paths.out, "index.ts"), "utf8")).toBe(
      [
        "// Generated by packages/bindings/scripts/generate.mjs. Do not edit.",
        "",
        'export * from "./BLSApkRegistry.js";',
        'export * from "./BN254.js";',
        'export * from "./IStrategy.js";',
        'export * from "./ProxyAdmin.js";',
        'export * from "./StakeRegistry.js";',
        'export * from "./TransparentUpgradeableProxy.js";',
        'export * from "./allContractErrors.js";',
        "",
      ].join("\n"),
    );

    // OpenZeppelin's published proxy artifacts fill in, unless the project built its own.
    const proxyAdmin = readFileSync(join(paths.out, "ProxyAdmin.ts"), "utf8");
    expect(proxyAdmin).toContain("@openzeppelin/contracts/build/contracts/ProxyAdmin.json");
    expect(proxyAdmin).toMatch(/export const proxyAdminBytecode = "0x[0-9a-f]{100,}" as const;/);
    expect(readFileSync(join(paths.out, "TransparentUpgradeableProxy.ts"), "utf8")).toContain(
      'export const transparentUpgradeableProxyBytecode = "0x6080" as const;',
    );

    // Deterministic: a second run produces identical files.
    const before = readdirSync(paths.out).map((f) => readFileSync(join(paths.out, f), "utf8"));
    expect(run(["--artifacts", paths.artifacts, "--out", paths.out]).status).toBe(0);
    expect(readdirSync(paths.out).map((f) => readFileSync(join(paths.out, f), "utf8"))).toEqual(before);
  });

  it("fails with a clear message when the artifacts are missing", () => {
    const root = mkdtempSync(join(tmpdir(), "avskit-gen-"));
    const result = run(["--artifacts", join(root, "artifacts"), "--out", join(root, "out")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/run `npm run build` in contracts first/);
  });

  it("refuses two contracts with the same name", () => {
    const paths = fixture([
      { contractName: "Token", sourceName: "contracts/a/Token.sol" },
      { contractName: "Token", sourceName: "contracts/b/Token.sol" },
    ]);
    const result = run(["--artifacts", paths.artifacts, "--out", paths.out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /two contracts named Token \(contracts\/a\/Token\.sol and contracts\/b\/Token\.sol\)/,
    );
  });

  it("refuses a deployable contract that needs library linking", () => {
    const paths = fixture([{ contractName: "Linked", sourceName: "contracts/Linked.sol" }]);
    const file = join(paths.artifacts, "contracts/Linked.sol/Linked.json");
    const artifact = JSON.parse(readFileSync(file, "utf8"));
    artifact.linkReferences = { "contracts/L.sol": { L: [{ start: 1, length: 20 }] } };
    writeFileSync(file, JSON.stringify(artifact));
    const result = run(["--artifacts", paths.artifacts, "--out", paths.out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Linked .* needs linked libraries/);
  });
});

describe("generated bindings from the real artifacts", () => {
  it("export typed ABIs that viem can use", async () => {
    const bindings = await import("../src/index.js");
    expect(Array.isArray(bindings.iDelegationManagerAbi)).toBe(true);
  });
});
