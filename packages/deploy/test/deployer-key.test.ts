import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDeployerKey } from "../src/deployer-key.js";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const dir = mkdtempSync(join(tmpdir(), "avskit-key-"));

function keyFile(name: string, content: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe("readDeployerKey", () => {
  it("reads AVSKIT_DEPLOYER_PRIVATE_KEY", () => {
    expect(readDeployerKey({ env: { AVSKIT_DEPLOYER_PRIVATE_KEY: KEY } })).toBe(KEY);
  });

  it("reads a key file (trailing newline, no 0x) without warning when it is private", () => {
    const warnings: string[] = [];
    const path = keyFile("ok.key", `${KEY.slice(2)}\n`);
    expect(readDeployerKey({ keyFile: path, env: {}, warn: (w) => warnings.push(w) })).toBe(KEY);
    expect(warnings).toEqual([]);
  });

  it("warns about a key file other users can read", () => {
    const warnings: string[] = [];
    readDeployerKey({ keyFile: keyFile("open.key", KEY, 0o644), env: {}, warn: (w) => warnings.push(w) });
    expect(warnings[0]).toMatch(/readable by other users; chmod 600/);
  });

  it("refuses no key, two keys, an unreadable file and a malformed key, never echoing it", () => {
    expect(() => readDeployerKey({ env: {} })).toThrow(/no deployer key: set AVSKIT_DEPLOYER_PRIVATE_KEY/);
    expect(() =>
      readDeployerKey({ keyFile: keyFile("a.key", KEY), env: { AVSKIT_DEPLOYER_PRIVATE_KEY: KEY } }),
    ).toThrow(/both --deployer-key-file and AVSKIT_DEPLOYER_PRIVATE_KEY/);
    expect(() => readDeployerKey({ keyFile: join(dir, "missing.key"), env: {} })).toThrow(
      /cannot read key file .*ENOENT/,
    );
    const secretish = `${KEY}ff`;
    try {
      readDeployerKey({ env: { AVSKIT_DEPLOYER_PRIVATE_KEY: secretish } });
      throw new Error("expected a throw");
    } catch (error) {
      expect((error as Error).message).toMatch(/does not hold a 32-byte hex private key/);
      expect((error as Error).message).not.toContain(secretish.slice(2, 20));
    }
  });
});
