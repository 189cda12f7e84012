#!/usr/bin/env node
// Generates typed viem bindings (ABIs `as const` and creation bytecode) from the Hardhat 3
// artifacts of the contracts workspace, so that no ABI is ever written by hand.
//
// Usage: node scripts/generate.mjs [--artifacts <dir>] [--out <dir>]
//   --artifacts  Hardhat artifacts folder (default: ../../contracts/artifacts from this package)
//   --out        output folder (default: src/generated in this package; wiped and rewritten)
//
// Output is deterministic: one `<ContractName>.ts` per contract, sorted, and an `index.ts`.
// Plain Node ESM with no dependencies, so it runs before anything in the workspace is built.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ARTIFACT_FORMAT = "hh3-artifact-1";
// OpenZeppelin publishes compiled artifacts of its proxies in the npm package. The deployer
// needs these two; they are taken from the package the contracts compile against, unless the
// contracts build emits its own artifacts of the same names (which then win).
const PACKAGED_ARTIFACTS = [
  "@openzeppelin/contracts/build/contracts/TransparentUpgradeableProxy.json",
  "@openzeppelin/contracts/build/contracts/ProxyAdmin.json",
];
const PACKAGED_FORMAT = "hh-sol-artifact-1";
// Runtime code of a Solidity library starts with PUSH20 <its own address, zero at compile
// time> ADDRESS EQ: the call-protection guard. Libraries are linked or inlined, never deployed
// by us, so they get no bytecode export.
const LIBRARY_RUNTIME_PREFIX = `0x73${"00".repeat(20)}3014`;

class GenerateError extends Error {}

function parseArgs(argv) {
  const options = {
    artifacts: resolve(packageRoot, "..", "..", "contracts", "artifacts"),
    out: join(packageRoot, "src", "generated"),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === "--artifacts" || flag === "--out") && value !== undefined) {
      options[flag.slice(2)] = resolve(value);
      i += 1;
    } else {
      throw new GenerateError(
        `unknown argument ${flag}; usage: generate.mjs [--artifacts <dir>] [--out <dir>]`,
      );
    }
  }
  return options;
}

function listJsonFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "build-info") found.push(...listJsonFiles(path));
    } else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
      found.push(path);
    }
  }
  return found;
}

// Test harnesses (mocks, exposed internals) are not part of the product's bindings.
function isTestSource(sourceName) {
  return (
    sourceName.startsWith("test/") ||
    sourceName.startsWith("contracts/test/") ||
    sourceName.includes("/test/") ||
    sourceName.endsWith(".t.sol")
  );
}

/** "BLSApkRegistry" -> "blsApkRegistry", "BN254" -> "bn254", "TestToken" -> "testToken". */
export function camelName(name) {
  const leadingCaps = /^[A-Z]+/.exec(name)?.[0] ?? "";
  if (leadingCaps.length === 0) return name;
  if (leadingCaps.length === name.length) return name.toLowerCase();
  const next = name[leadingCaps.length];
  const lowerCount =
    leadingCaps.length > 1 && next >= "a" && next <= "z" ? leadingCaps.length - 1 : leadingCaps.length;
  return name.slice(0, lowerCount).toLowerCase() + name.slice(lowerCount);
}

function readArtifact(path, format = ARTIFACT_FORMAT) {
  let artifact;
  try {
    artifact = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new GenerateError(`cannot parse ${path}: ${error.message}`);
  }
  if (artifact === null || typeof artifact !== "object" || artifact._format !== format) return undefined;
  const { contractName, sourceName, abi, bytecode, deployedBytecode, linkReferences } = artifact;
  if (typeof contractName !== "string" || typeof sourceName !== "string" || !Array.isArray(abi)) {
    throw new GenerateError(`${path} is a ${format} artifact without contractName/sourceName/abi`);
  }
  if (typeof bytecode !== "string" || typeof deployedBytecode !== "string") {
    throw new GenerateError(`${path} has no bytecode strings`);
  }
  return {
    path,
    contractName,
    sourceName,
    abi,
    bytecode,
    deployedBytecode,
    linkReferences: linkReferences ?? {},
  };
}

/** OpenZeppelin's published proxy artifacts, resolved from the contracts workspace. */
function readPackagedArtifacts(artifactsDir) {
  const contractsManifest = join(artifactsDir, "..", "package.json");
  const require = createRequire(existsSync(contractsManifest) ? contractsManifest : import.meta.url);
  return PACKAGED_ARTIFACTS.map((request) => {
    let path;
    try {
      path = require.resolve(request);
    } catch {
      throw new GenerateError(`cannot find ${request}: is @openzeppelin/contracts installed (npm install)?`);
    }
    const artifact = readArtifact(path, PACKAGED_FORMAT);
    if (artifact === undefined) throw new GenerateError(`${path} is not a ${PACKAGED_FORMAT} artifact`);
    return { ...artifact, sourceName: `${request} (${artifact.sourceName})` };
  });
}

function kindOf(artifact) {
  if (artifact.bytecode === "0x" || artifact.bytecode === "") return "abstract";
  if (artifact.deployedBytecode.startsWith(LIBRARY_RUNTIME_PREFIX)) return "library";
  return "deployable";
}

function renderContract(artifact, kind) {
  const name = camelName(artifact.contractName);
  const lines = [
    `// Generated by packages/bindings/scripts/generate.mjs from ${artifact.sourceName}. Do not edit.`,
    "",
    `export const ${name}Abi = ${JSON.stringify(artifact.abi, null, 2)} as const;`,
  ];
  if (kind === "deployable") {
    if (Object.keys(artifact.linkReferences).length > 0) {
      throw new GenerateError(
        `${artifact.contractName} (${artifact.sourceName}) needs linked libraries; make the library functions internal`,
      );
    }
    lines.push("", `export const ${name}Bytecode = ${JSON.stringify(artifact.bytecode)} as const;`);
  }
  return `${lines.join("\n")}\n`;
}

/** The canonical type of an ABI parameter, tuples spelled out, as selectors hash it. */
function canonicalType(param) {
  if (!param.type.startsWith("tuple")) return param.type;
  return `(${(param.components ?? []).map(canonicalType).join(",")})${param.type.slice("tuple".length)}`;
}

/**
 * Every custom error of every contract, once each (by signature, so by selector). A revert
 * raised in an inner contract (a registry called by the coordinator, the restaking stand-in
 * called by a registry) bubbles up unchanged, and the outer contract's ABI alone cannot name it.
 */
function renderAllErrors(byName, names) {
  const seen = new Map();
  for (const name of names) {
    for (const item of byName.get(name).abi) {
      if (item.type !== "error") continue;
      const signature = `${item.name}(${item.inputs.map(canonicalType).join(",")})`;
      if (!seen.has(signature)) seen.set(signature, item);
    }
  }
  const errors = [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
  return [
    "// Generated by packages/bindings/scripts/generate.mjs from every contract's ABI. Do not edit.",
    "",
    "/** Every custom error of the project's contracts (and the packaged proxies), once each: decode any revert with it. */",
    `export const allContractErrorsAbi = ${JSON.stringify(errors, null, 2)} as const;`,
    "",
  ].join("\n");
}

function warnAboutSourcesWithoutArtifacts(artifactsDir, sourceNames) {
  const contractsRoot = resolve(artifactsDir, "..");
  const sourcesDir = join(contractsRoot, "contracts");
  if (!existsSync(sourcesDir)) return;
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith(".sol") ? [relative(contractsRoot, path).split(sep).join("/")] : [];
    });
  const missing = walk(sourcesDir).filter((source) => !isTestSource(source) && !sourceNames.has(source));
  for (const source of missing) {
    // Not fatal: a file holding only structs, errors or free functions has no artifact.
    process.stderr.write(
      `[bindings] warning: ${source} has no artifact (stale build? run \`npm run build\` in contracts)\n`,
    );
  }
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const projectArtifacts = join(options.artifacts, "contracts");
  if (!existsSync(projectArtifacts) || !statSync(projectArtifacts).isDirectory()) {
    throw new GenerateError(
      `no Hardhat artifacts at ${projectArtifacts}: run \`npm run build\` in contracts first (or \`npm run build\` at the repo root)`,
    );
  }

  const artifacts = listJsonFiles(options.artifacts)
    .map((path) => readArtifact(path))
    .filter((artifact) => artifact !== undefined && !isTestSource(artifact.sourceName));
  if (artifacts.length === 0) {
    throw new GenerateError(
      `no contract artifacts under ${options.artifacts}: run \`npm run build\` in contracts first`,
    );
  }

  const byName = new Map();
  for (const artifact of artifacts) {
    const clash = byName.get(artifact.contractName);
    if (clash) {
      throw new GenerateError(
        `two contracts named ${artifact.contractName} (${clash.sourceName} and ${artifact.sourceName}); rename one`,
      );
    }
    byName.set(artifact.contractName, artifact);
  }
  warnAboutSourcesWithoutArtifacts(options.artifacts, new Set(artifacts.map((a) => a.sourceName)));
  for (const artifact of readPackagedArtifacts(options.artifacts)) {
    if (!byName.has(artifact.contractName)) byName.set(artifact.contractName, artifact);
  }

  const names = [...byName.keys()].sort();
  rmSync(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });
  const counts = { deployable: 0, abstract: 0, library: 0 };
  for (const name of names) {
    const artifact = byName.get(name);
    const kind = kindOf(artifact);
    counts[kind] += 1;
    writeFileSync(join(options.out, `${name}.ts`), renderContract(artifact, kind));
  }
  writeFileSync(join(options.out, "allContractErrors.ts"), renderAllErrors(byName, names));
  const index = [
    "// Generated by packages/bindings/scripts/generate.mjs. Do not edit.",
    "",
    ...names.map((name) => `export * from "./${name}.js";`),
    'export * from "./allContractErrors.js";',
    "",
  ].join("\n");
  writeFileSync(join(options.out, "index.ts"), index);
  process.stderr.write(
    `[bindings] ${names.length} contracts -> ${relative(process.cwd(), options.out) || "."} ` +
      `(${counts.deployable} with bytecode, ${counts.library} libraries, ${counts.abstract} interfaces/abstract)\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (error instanceof GenerateError) {
      process.stderr.write(`[bindings] error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
