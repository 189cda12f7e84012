// Every command the workspace links into node_modules/.bin runs as a user runs it from a clone
// (`npx avs-sync --help`): the link's target must be executable, which tsc's output is not.
import { execFile } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/index.js";

const root = repoRoot();
const bins = readdirSync(join(root, "packages")).flatMap((dir) => {
  try {
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as {
      bin?: Record<string, string>;
    };
    return Object.keys(manifest.bin ?? {});
  } catch {
    return [];
  }
});

describe("the workspace's commands", () => {
  it("are all found", () => {
    expect(bins).toEqual(
      expect.arrayContaining([
        "avskit-operator",
        "avskit-aggregator",
        "avs-sync",
        "avskit-local",
        "avskit-chain",
      ]),
    );
  });

  it.each(bins)("%s is executable and answers --help with exit 0", async (bin) => {
    const link = join(root, "node_modules", ".bin", bin);
    expect(() => accessSync(link, constants.X_OK)).not.toThrow();
    const { stdout } = await promisify(execFile)(link, ["--help"], { cwd: root });
    expect(stdout).toContain(`Usage: ${bin}`);
  });
});
