import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root, from this file's place in it (packages/integration/dist/src). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
}

async function workspaceManifests(): Promise<Map<string, Manifest>> {
  const manifests = new Map<string, Manifest>();
  for (const entry of await readdir(join(REPO_ROOT, "packages"))) {
    try {
      const manifest = JSON.parse(
        await readFile(join(REPO_ROOT, "packages", entry, "package.json"), "utf8"),
      ) as Manifest;
      manifests.set(manifest.name, manifest);
    } catch {
      // not a package folder
    }
  }
  return manifests;
}

/** `name` and every workspace package it needs at run time (its dependencies, not devDependencies). */
export async function runtimeClosure(name: string): Promise<string[]> {
  const manifests = await workspaceManifests();
  const closure: string[] = [];
  const visit = (pkg: string) => {
    if (closure.includes(pkg)) return;
    const manifest = manifests.get(pkg);
    if (manifest === undefined) throw new Error(`${pkg} is not a workspace package`);
    closure.push(pkg);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (manifests.has(dependency)) visit(dependency);
    }
  };
  visit(name);
  return closure;
}

/** What a package may ship. */
const SHIPPED = /^(package\.json|README\.md|LICENSE|dist\/src\/.+\.(js|d\.ts|js\.map|d\.ts\.map))$/;

export interface InstalledPackage {
  /** The folder it was installed into (holds node_modules/.bin). */
  readonly dir: string;
  /** The tarballs `npm pack` made, one per workspace package. */
  readonly tarballs: readonly string[];
}

/**
 * Installs a workspace package the way a user outside the repository would: `npm pack` of it and
 * of the workspace libraries it depends on (built already), then `npm install` of those
 * tarballs into an empty folder. Third-party dependencies come from the npm registry (npm's
 * cache first). What the package's `files`, `bin` and `dependencies` leave out is then missing;
 * a tarball holding more than the built program, the manifest and the README is refused.
 */
export async function packAndInstall(name: string, into: string): Promise<InstalledPackage> {
  const packed = join(into, "tarballs");
  const dir = join(into, "app");
  await mkdir(packed, { recursive: true });
  await mkdir(dir, { recursive: true });
  const workspaces = (await runtimeClosure(name)).map((pkg) => `--workspace=${pkg}`);
  const { stdout } = await run("npm", ["pack", ...workspaces, "--pack-destination", packed, "--json"], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const packs = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  for (const pack of packs) {
    // Only what runs: the compiled program, the manifest and the README; no tests, no sources.
    const extra = pack.files.map((file) => file.path).filter((path) => !SHIPPED.test(path));
    if (extra.length > 0) throw new Error(`${pack.filename} ships files it should not: ${extra.join(", ")}`);
  }
  const tarballs = packs.map((pack) => join(packed, pack.filename));
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "app", private: true }, null, 2)}\n`);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { dir, tarballs };
}
