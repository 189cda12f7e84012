import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root, from this file's place in it (packages/integration/dist/src). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** What a package may ship: the compiled program, its command launchers, the manifest and the README. */
const SHIPPED =
  /^package\/(package\.json|README\.md|LICENSE|bin\/[^/]+\.js|dist\/src\/.+\.(js|d\.ts|js\.map|d\.ts\.map))$/;

export interface InstalledPackage {
  /** The folder it was installed into (holds node_modules/.bin). */
  readonly dir: string;
  /** The tarballs, one per workspace package. */
  readonly tarballs: readonly string[];
}

/**
 * Installs a workspace package the way the README tells a user outside the repository to:
 * `scripts/pack.mjs` packs it with the workspace libraries it needs (built already), and
 * `npm install` of those tarballs goes into an empty folder. Third-party dependencies come from
 * the npm registry (npm's cache first). What the package's `files`, `bin` and `dependencies`
 * leave out is then missing; a tarball holding anything beyond what it should ship is refused.
 */
export async function packAndInstall(name: string, into: string): Promise<InstalledPackage> {
  const packed = join(into, "tarballs");
  const dir = join(into, "app");
  await mkdir(dir, { recursive: true });
  const script = join(REPO_ROOT, "scripts", "pack.mjs");
  const { stdout } = await run(process.execPath, [script, name, "--out", packed, "--no-build"], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const tarballs = stdout.trim().split("\n");
  for (const tarball of tarballs) {
    const listing = await run("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
    const extra = listing.stdout
      .trim()
      .split("\n")
      .filter((path) => !SHIPPED.test(path));
    if (extra.length > 0) throw new Error(`${tarball} ships files it should not: ${extra.join(", ")}`);
  }
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "app", private: true }, null, 2)}\n`);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { dir, tarballs };
}
