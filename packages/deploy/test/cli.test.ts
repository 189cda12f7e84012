import { describe, expect, it } from "vitest";
import { runDeployCli } from "../src/cli-program.js";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

async function run(argv: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  let out = "";
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const writes: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // commander prints help and usage errors itself.
  process.stdout.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await runDeployCli(argv, { log: (line) => lines.push(line), out: (text) => (out += text) });
    return { code, lines, out, printed: writes.join("") };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.env = saved;
  }
}

describe("avskit-deploy CLI", () => {
  it("documents every flag with its AVSKIT_* variable in --help, and no flag takes the key", async () => {
    const { code, printed } = await run(["--help"]);
    expect(code).toBe(0);
    const flags: [string, string][] = [
      ["--rpc-url", "AVSKIT_RPC_URL"],
      ["--deployer-key-file", "AVSKIT_DEPLOYER_KEY_FILE"],
      ["--deployments-dir", "AVSKIT_DEPLOYMENTS_DIR"],
      ["--redeploy", "AVSKIT_REDEPLOY"],
      ["--quorums", "AVSKIT_QUORUMS_FILE"],
      ["--delegation-manager", "AVSKIT_DELEGATION_MANAGER"],
      ["--avs-directory", "AVSKIT_AVS_DIRECTORY"],
    ];
    for (const [flag, env] of flags) {
      // Help text wraps: compare per option, whitespace collapsed.
      const option = printed
        .split(/\n {2}--/)
        .map((segment) => segment.replace(/\s+/g, " "))
        .find((segment) => segment.startsWith(`${flag.slice(2)} `));
      expect(option, flag).toContain(`env: ${env})`);
    }
    expect(printed).toContain("AVSKIT_DEPLOYER_PRIVATE_KEY");
    expect(printed).not.toMatch(/--(deployer-)?(private-)?key </);
  });

  it("names the unreachable endpoint", async () => {
    const { code, lines } = await run(["--rpc-url", "http://127.0.0.1:1"], {
      AVSKIT_DEPLOYER_PRIVATE_KEY: KEY,
    });
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(
      /^error: cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:1: .*is the node running\?/,
    );
  });

  it("takes flags from AVSKIT_* variables", async () => {
    const { code, lines } = await run([], {
      AVSKIT_DEPLOYER_PRIVATE_KEY: KEY,
      AVSKIT_RPC_URL: "http://127.0.0.1:2",
    });
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:2/);
  });

  it("refuses to run without a key, before touching the network", async () => {
    const { code, lines } = await run(["--rpc-url", "http://127.0.0.1:1"], {
      AVSKIT_DEPLOYER_PRIVATE_KEY: "",
    });
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/no deployer key/);
  });

  it("rejects bad flag values with the flag's name", async () => {
    const env = { AVSKIT_DEPLOYER_PRIVATE_KEY: KEY };
    expect((await run(["--owner", "0x12"], env)).lines.at(-1)).toMatch(
      /invalid deploy configuration \(--owner\)/,
    );
    expect((await run(["--delegation-manager", KEY.slice(0, 42)], env)).lines.at(-1)).toMatch(
      /--delegation-manager needs --avs-directory/,
    );
    expect((await run(["--chain-id", "x"], env)).lines.at(-1)).toMatch(/--chain-id/);
    expect((await run(["--no-such-flag"], env)).code).toBe(1);
  });
});

describe("booleanFlag", () => {
  it("reads AVSKIT_REDEPLOY=0/false/empty as off and anything else as on; the flag wins", async () => {
    const { Command, Option } = await import("commander");
    const { booleanFlag } = await import("../src/cli-program.js");
    const parse = (argv: string[], value: string | undefined) => {
      const saved = process.env.AVSKIT_REDEPLOY;
      if (value === undefined) delete process.env.AVSKIT_REDEPLOY;
      else process.env.AVSKIT_REDEPLOY = value;
      try {
        const command = new Command().addOption(new Option("--redeploy").env("AVSKIT_REDEPLOY"));
        command.parse(argv, { from: "user" });
        return booleanFlag(command, "redeploy", "AVSKIT_REDEPLOY");
      } finally {
        if (saved === undefined) delete process.env.AVSKIT_REDEPLOY;
        else process.env.AVSKIT_REDEPLOY = saved;
      }
    };
    expect(parse([], undefined)).toBe(false);
    expect(parse([], "1")).toBe(true);
    expect(parse([], "true")).toBe(true);
    for (const off of ["0", "false", "NO", ""]) expect(parse([], off)).toBe(false);
    expect(parse(["--redeploy"], "0")).toBe(true);
  });
});
