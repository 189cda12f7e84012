#!/usr/bin/env node
// Runs a command under Node >= 22 with the project's dependencies installed.
//
// Usage: node scripts/bootstrap.mjs '<shell command>' [extra args appended, quoted]
//
// Why this exists: Hardhat 3 needs Node >= 22.13, and when npm itself runs under an older
// Node it silently skips Hardhat's native EDR binding (its `engines` says node >= 22). A
// machine with only Node 20 therefore gets Node 22 from the npm registry (the `node`
// package ships the official binary) through `npm exec`, and everything, npm install
// included, runs under it. Where Node >= 22 already runs this script, nothing is fetched.
// This file must stay runnable by Node 20: no dependencies, no newer syntax.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_PACKAGE = "node@22.23.3";
const MIN_MAJOR = 22;
const MIN_MINOR = 13;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [command, ...extra] = process.argv.slice(2);
if (!command) {
  console.error("usage: node scripts/bootstrap.mjs '<shell command>' [args...]");
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? (result.signal ? 128 : 1);
}

const [major, minor] = process.versions.node.split(".").map(Number);
const nodeIsNewEnough = major > MIN_MAJOR || (major === MIN_MAJOR && minor >= MIN_MINOR);

if (!nodeIsNewEnough) {
  if (process.env.AVSKIT_BOOTSTRAPPED) {
    log(`still on Node ${process.versions.node} after fetching ${NODE_PACKAGE}; giving up`);
    process.exit(1);
  }
  log(
    `Node ${process.versions.node} is too old (need >= ${MIN_MAJOR}.${MIN_MINOR}); running under ${NODE_PACKAGE} from the npm registry`,
  );
  process.on("SIGINT", () => {}); // the re-run below gets it from the terminal and shuts down itself
  const status = run(
    "npm",
    [
      "exec",
      "--yes",
      `--package=${NODE_PACKAGE}`,
      "--",
      "node",
      fileURLToPath(import.meta.url),
      command,
      ...extra,
    ],
    { env: { ...process.env, AVSKIT_BOOTSTRAPPED: "1" } },
  );
  process.exit(status);
}

// Install (or reinstall) when the lockfile or the Node major changed since the last install.
// The stamp is taken from the lockfile as it is after the install: npm may complete the
// lockfile while installing, and a stamp of the old text would make every later command
// install again.
const lockfile = join(root, "package-lock.json");
const stampFile = join(root, "node_modules", ".avskit-install-stamp");
const installStamp = () =>
  createHash("sha256")
    .update(existsSync(lockfile) ? readFileSync(lockfile) : "no-lockfile")
    .update(`node${major}`)
    .digest("hex");
const have = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
if (have !== installStamp()) {
  log(`installing dependencies with Node ${process.versions.node}`);
  // `npm install`, not `npm ci`: the lockfile pins every version either way, and `npm ci`
  // refuses lockfiles that lack optional platform packages a registry mirror may not carry.
  const status = run("npm", ["install", "--no-audit", "--no-fund"]);
  if (status !== 0) {
    log("npm install failed");
    process.exit(status);
  }
  writeFileSync(stampFile, `${installStamp()}\n`);
}

const quoted = extra.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`);
const env = {
  ...process.env,
  PATH: `${join(root, "node_modules", ".bin")}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
};
// The command runs asynchronously so that this process outlives it: Ctrl-C reaches the whole
// terminal process group, the command shuts down in its own time (the devnet prints its summary),
// and only then does the prompt come back. SIGTERM sent to this process alone is passed on.
const child = spawn([command, ...quoted].join(" "), [], { stdio: "inherit", cwd: root, shell: true, env });
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
