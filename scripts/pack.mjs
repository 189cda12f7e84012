#!/usr/bin/env node
// Packs a workspace package for use outside the repository: builds it, then `npm pack`s it
// with every workspace library it needs at run time, so that
//   npm install <the tarballs>
// in an empty folder gives a working command (e.g. `npx avskit-operator`). The libraries are not
// published to a registry, so they travel with it.
//
// Usage: node scripts/pack.mjs <@avskit/package> [--out <dir>] [--no-build]
//   (from the repo root: npm run pack -- @avskit/operator)
// Prints the tarballs' paths, one per line, on stdout; progress goes to stderr.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function fail(message, code = 2) {
  process.stderr.write(`[pack] ${message}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
let name;
let out = join(root, "packed");
let build = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--out" && args[i + 1] !== undefined) out = resolve(args[++i]);
  else if (args[i] === "--no-build") build = false;
  else if (!args[i].startsWith("-") && name === undefined) name = args[i];
  else fail(`unknown argument ${args[i]}; usage: pack.mjs <@avskit/package> [--out <dir>] [--no-build]`);
}
if (name === undefined) fail("usage: pack.mjs <@avskit/package> [--out <dir>] [--no-build]");

const manifests = new Map();
for (const entry of readdirSync(join(root, "packages"))) {
  try {
    const manifest = JSON.parse(readFileSync(join(root, "packages", entry, "package.json"), "utf8"));
    manifests.set(manifest.name, manifest);
  } catch {
    // not a package folder
  }
}

/** The package and every workspace package it depends on at run time (not devDependencies). */
function runtimeClosure(pkg, into = []) {
  if (into.includes(pkg)) return into;
  const manifest = manifests.get(pkg);
  if (manifest === undefined) fail(`${pkg} is not a workspace package (${[...manifests.keys()].join(", ")})`);
  into.push(pkg);
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (manifests.has(dependency)) runtimeClosure(dependency, into);
  }
  return into;
}

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    ...options,
  });
  if (result.status !== 0) fail(`${command} ${commandArgs.join(" ")} failed`, result.status ?? 1);
  return result;
}

const closure = runtimeClosure(name);
if (build)
  run(join(root, "node_modules", ".bin", "turbo"), [
    "run",
    "build",
    `--filter=${name}...`,
    "--output-logs=errors-only",
  ]);
mkdirSync(out, { recursive: true });
const packed = run(
  "npm",
  ["pack", ...closure.map((pkg) => `--workspace=${pkg}`), "--pack-destination", out, "--json"],
  { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
const tarballs = JSON.parse(packed.stdout).map((entry) => join(out, entry.filename));
process.stderr.write(
  `[pack] ${name} and ${closure.length - 1} libraries in ${out}; install them together:\n` +
    `[pack]   npm install ${tarballs.map((tarball) => tarball.slice(out.length + 1)).join(" ")}\n`,
);
for (const tarball of tarballs) process.stdout.write(`${tarball}\n`);
