// What someone outside the repository gets: the package and the workspace libraries it needs,
// packed with `npm pack` and installed into an empty folder, run through npx.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packAndInstall } from "@avskit/integration";
import { expect, it } from "vitest";

it("installs from its tarballs into an empty folder, and `npx avs-sync --help` works", async () => {
  const into = await mkdtemp(join(tmpdir(), "avskit-pack-"));
  try {
    const { dir } = await packAndInstall("@avskit/avs-sync", into);
    const { stdout } = await promisify(execFile)("npx", ["--no-install", "avs-sync", "--help"], { cwd: dir });
    expect(stdout).toContain("Usage: avs-sync");
    expect(stdout).toContain("AVS_SYNC_ECDSA_PRIVATE_KEY");
  } finally {
    await rm(into, { recursive: true, force: true });
  }
  // npm install of the tarballs and their third-party dependencies: tens of seconds on a busy machine.
}, 240_000);
