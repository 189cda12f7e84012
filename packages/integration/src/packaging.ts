import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root, from this file's place in it (packages/integration/dist/src). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** What a package may ship: the compiled program, its command launchers, the manifest and the README. */
const SHIPPED =
  /^package\/(package\.json|README\.md|LICENSE|bin\/[^/]+\.js|dist\/src\/.+\.(js|d\.ts|js\.map|d\.ts\.map))$/;

/**
 * What compiled JavaScript imports: `import … from "x"` / `export … from "x"` / `import "x"` at the
 * start of a line (tsc writes each on one line), and `import("x")` anywhere.
 */
const IMPORTS =
  /^(?:import|export)\b[^\n]*?\bfrom\s*["']([^"'\n]+)["'];?$|^import\s*["']([^"'\n]+)["'];?$|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

/**
 * The environment without what an outer `npm run` left for the script that would send npm
 * elsewhere: `npm_config_local_prefix` names the workspace package running the test, and an
 * install would go there instead of into the empty folder. The rest of npm's configuration
 * (its global config with the machine's CA file, the cache) stays.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_config_local_prefix|npm_package_.*|npm_lifecycle_.*|INIT_CWD)$/i.test(key)) env[key] = value;
  }
  return env;
}

export interface InstalledPackages {
  /** The folder they were installed into (holds node_modules/.bin). */
  readonly dir: string;
  /** The tarballs, one per workspace package. */
  readonly tarballs: readonly string[];
  /** `npx --no-install <args>` in that folder, as its user would type it; rejects on a non-zero exit. */
  npx(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
}

/** The package a bare import specifier names: "viem/accounts" → "viem", "@noble/curves/bn254.js" → "@noble/curves". */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Checks one packed package: it ships nothing beyond SHIPPED, and every package its JavaScript
 * imports is one of its declared dependencies (or Node's own): installed next to others, a
 * forgotten dependency would otherwise be found in a neighbour's and go unnoticed.
 */
async function checkTarball(tarball: string): Promise<void> {
  const listing = await run("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
  const extra = listing.stdout
    .trim()
    .split("\n")
    .filter((path) => !SHIPPED.test(path));
  if (extra.length > 0) throw new Error(`${tarball} ships files it should not: ${extra.join(", ")}`);
  const unpacked = await mkdtemp(join(tmpdir(), "avskit-unpacked-"));
  try {
    await run("tar", ["-xzf", tarball, "-C", unpacked]);
    const root = join(unpacked, "package");
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
    const builtins = new Set(builtinModules.map((name) => name.replace(/^node:/, "")));
    for (const file of (await filesUnder(root)).filter((path) => path.endsWith(".js"))) {
      for (const match of (await readFile(file, "utf8")).matchAll(IMPORTS)) {
        const specifier = (match[1] ?? match[2] ?? match[3])!;
        if (specifier.startsWith(".") || specifier.startsWith("node:") || builtins.has(packageOf(specifier)))
          continue;
        if (!declared.has(packageOf(specifier))) {
          throw new Error(
            `${manifest.name}: ${relative(root, file)} imports ${specifier}, which is not among its dependencies`,
          );
        }
      }
    }
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}

/**
 * Installs workspace packages the way the README tells a user outside the repository to:
 * `scripts/pack.mjs` packs each with the workspace libraries it needs (built already), and one
 * `npm install` of those tarballs goes into an empty folder (third-party dependencies from the
 * npm registry, npm's cache first). What a package's `files`, `bin` and `dependencies` leave out
 * is then missing; a tarball with more than it should ship, or whose code imports a package it
 * does not declare, is refused.
 */
export async function packAndInstall(names: readonly string[], into: string): Promise<InstalledPackages> {
  const packed = join(into, "tarballs");
  const dir = join(into, "app");
  await mkdir(dir, { recursive: true });
  const script = join(REPO_ROOT, "scripts", "pack.mjs");
  const tarballs = new Set<string>();
  for (const name of names) {
    const { stdout } = await run(process.execPath, [script, name, "--out", packed, "--no-build"], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const tarball of stdout.trim().split("\n")) tarballs.add(tarball);
  }
  for (const tarball of tarballs) await checkTarball(tarball);
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "app", private: true }, null, 2)}\n`);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], {
    cwd: dir,
    env: cleanEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return {
    dir,
    tarballs: [...tarballs],
    npx: (args) => run("npx", ["--no-install", ...args], { cwd: dir, env: cleanEnv() }),
  };
}
