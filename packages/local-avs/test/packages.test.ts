// What an operator, or a team running the stake sync from cron, gets outside the repository: the
// package and the workspace libraries it needs, packed with `npm run pack`'s script and installed
// into an empty folder, run through npx. One install for both (they share their third-party
// dependencies); packAndInstall refuses a package whose code imports what it does not declare, so
// neither can lean on the other's.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InstalledPackages, packAndInstall } from "@avskit/integration";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let into: string;
let installed: InstalledPackages;

beforeAll(async () => {
  into = await mkdtemp(join(tmpdir(), "avskit-pack-"));
  installed = await packAndInstall(["@avskit/operator", "@avskit/avs-sync"], into);
}, 240_000);

afterAll(async () => {
  if (into) await rm(into, { recursive: true, force: true });
});

describe("the packed operator and avs-sync, installed into an empty folder", () => {
  it("`npx avskit-operator run --help` works and lists the environment variables", async () => {
    const { stdout } = await installed.npx(["avskit-operator", "run", "--help"]);
    expect(stdout).toContain("Usage: avskit-operator run");
    expect(stdout).toContain("AVSKIT_BLS_KEY_PASSWORD");
  });

  it("`npx avs-sync --help` works and lists the environment variables", async () => {
    const { stdout } = await installed.npx(["avs-sync", "--help"]);
    expect(stdout).toContain("Usage: avs-sync");
    expect(stdout).toContain("AVS_SYNC_ECDSA_PRIVATE_KEY");
  });

  it("avs-sync refuses a bad option with exit 2, naming it", async () => {
    const failed = await installed
      .npx(["avs-sync", "--eth-http-url", "http://127.0.0.1:1", "--sync-interval", "soon"])
      .catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(
      /invalid --sync-interval \(env AVS_SYNC_SYNC_INTERVAL\)/,
    );
  });
});
