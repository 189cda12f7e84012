// What someone outside the repository gets: the package and the workspace libraries it needs,
// packed with `npm pack` and installed into an empty folder, run through npx.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { packAndInstall } from "@avskit/integration";
import { expect, it } from "vitest";

it("installs from its tarballs into an empty folder, and `npx avskit-operator run --help` works", async () => {
  const into = await mkdtemp(join(tmpdir(), "avskit-pack-"));
  try {
    const { dir } = await packAndInstall("@avskit/operator", into);
    const { stdout } = await promisify(execFile)(
      "npx",
      ["--no-install", "avskit-operator", "run", "--help"],
      { cwd: dir },
    );
    expect(stdout).toContain("Usage: avskit-operator");
    expect(stdout).toContain("AVSKIT_BLS_KEY_PASSWORD");
  } finally {
    await rm(into, { recursive: true, force: true });
  }
  // npm install of the tarballs and their third-party dependencies: tens of seconds on a busy machine.
}, 240_000);
