#!/usr/bin/env node
// Runs a command under Node >= 22 with the project's dependencies installed.
//
// Usage: node scripts/bootstrap.mjs '<command> [&& <command> ...]' [extra args for the last command]
//
// Why this exists: Hardhat 3 needs Node >= 22.13, and when npm itself runs under an older
// Node it silently skips Hardhat's native EDR binding (its `engines` says node >= 22). A
// machine with only Node 20 therefore gets Node 22 from the npm registry (the `node` package
// ships the official binary; `npm exec` fetches it into npm's cache) and everything, npm
// install included, runs under it. Where Node >= 22 already runs this script, nothing is fetched.
//
// Why no shell: Ctrl-C in a terminal sends SIGINT to every process of the foreground group. A
// `sh -c` in between dies of it after its child exited cleanly, and npm then reports 130 for
// a program that stopped as asked. So the package.json scripts `exec` this file, and the
// commands here are run directly: simple words joined by `&&`, nothing a shell would expand.
// Each layer waits for its child and passes SIGINT and SIGTERM on (an IDE's stop button or
// `kill -INT` reaches npm alone); with a terminal's Ctrl-C the program gets SIGINT both from the
// terminal and from here, milliseconds apart, and the services take that as one request.
//
// This file must stay runnable by Node 20: no dependencies, no newer syntax.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_PACKAGE = "node@22.23.3";
const MIN_MAJOR = 22;
const MIN_MINOR = 13;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [command, ...extra] = process.argv.slice(2);
if (!command) {
  console.error("usage: node scripts/bootstrap.mjs '<command> [&& <command> ...]' [args...]");
  process.exit(2);
}

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

/** "a b && c d" → [["a", "b"], ["c", "d"]]; anything a shell would interpret is refused. */
function parseCommands(text) {
  if (/[|;<>$`'"\\*?(){}~]/.test(text)) {
    log(`the command must be plain words joined by && (no shell syntax): ${text}`);
    process.exit(2);
  }
  return text.split("&&").map((part) => part.trim().split(/\s+/).filter(Boolean));
}

/** The exit status of a child ended by a signal, as a shell reports it: 128 + its number. */
function signalStatus(signal) {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Passes SIGINT and SIGTERM on to whatever child runs now, and outlives it. */
function forwardSignals(child) {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child()?.kill(signal));
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
  // `npm exec` only fetches the binary and tells where it is: the re-run below is a direct
  // child of this process, with no npm and no shell in between.
  const located = spawnSync(
    "npm",
    ["exec", "--yes", `--package=${NODE_PACKAGE}`, "--", "node", "-p", "process.execPath"],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const node22 = located.status === 0 ? located.stdout.trim().split("\n").pop() : undefined;
  if (!node22 || !existsSync(node22)) {
    log(`cannot fetch ${NODE_PACKAGE} with npm exec (exit ${located.status})`);
    process.exit(1);
  }
  // npm finds its global config (where a machine keeps its CA file or registry) next to the Node
  // it runs under: under the fetched Node it would look in npm's cache. It keeps this machine's.
  const globalconfig =
    process.env.npm_config_globalconfig ||
    spawnSync("npm", ["config", "get", "globalconfig"], { cwd: root, encoding: "utf8" }).stdout?.trim();
  const child = spawn(node22, [fileURLToPath(import.meta.url), command, ...extra], {
    stdio: "inherit",
    cwd: root,
    env: {
      ...process.env,
      AVSKIT_BOOTSTRAPPED: "1",
      // npm (a `#!/usr/bin/env node` script) must find Node 22 first, or it installs under Node 20.
      PATH: `${dirname(node22)}:${process.env.PATH ?? ""}`,
      ...(globalconfig ? { npm_config_globalconfig: globalconfig } : {}),
    },
  });
  forwardSignals(() => child);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? signalStatus(signal) : 1)));
} else {
  installIfNeeded();
  runAll(parseCommands(command), extra);
}

// Install (or reinstall) when the lockfile or the Node major changed since the last install.
// The stamp is taken from the lockfile as it is after the install: npm may complete the
// lockfile while installing, and a stamp of the old text would make every later command
// install again.
function installIfNeeded() {
  const lockfile = join(root, "package-lock.json");
  const stampFile = join(root, "node_modules", ".avskit-install-stamp");
  const installStamp = () =>
    createHash("sha256")
      .update(existsSync(lockfile) ? readFileSync(lockfile) : "no-lockfile")
      .update(`node${major}`)
      .digest("hex");
  const have = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
  if (have === installStamp()) return;
  log(`installing dependencies with Node ${process.versions.node}`);
  // `npm install`, not `npm ci`: the lockfile pins every version either way, and `npm ci`
  // refuses lockfiles that lack optional platform packages a registry mirror may not carry.
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { stdio: "inherit", cwd: root });
  if (result.status !== 0) {
    log("npm install failed");
    process.exit(result.status ?? 1);
  }
  writeFileSync(stampFile, `${installStamp()}\n`);
}

/** Runs the commands one after another, each a direct child; stops at the first that fails. */
function runAll(commands, extraArgs) {
  const env = {
    ...process.env,
    PATH: `${join(root, "node_modules", ".bin")}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    // Node's on-disk compile cache: every service, test worker and tsc after the first starts
    // from cached bytecode (`npm start` launches ~20 Node processes, `npm test` hundreds). Kept
    // under node_modules, so git ignores it; a value of the caller's own wins.
    NODE_COMPILE_CACHE:
      process.env.NODE_COMPILE_CACHE ?? join(root, "node_modules", ".cache", "node-compile-cache"),
  };
  let current;
  forwardSignals(() => current);
  const next = (index) => {
    const [program, ...args] = commands[index];
    const last = index === commands.length - 1;
    // The command outlives nothing: this process waits, so the devnet's shutdown and summary
    // finish before the prompt comes back.
    current = spawn(program, last ? [...args, ...extraArgs] : args, { stdio: "inherit", cwd: root, env });
    current.on("error", (error) => {
      log(`cannot run ${program}: ${error.message}`);
      process.exit(127);
    });
    current.on("exit", (code, signal) => {
      const status = code ?? (signal ? signalStatus(signal) : 1);
      if (status !== 0 || last) process.exit(status);
      next(index + 1);
    });
  };
  next(0);
}
