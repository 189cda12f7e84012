import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { generateKeyPair, writeBlsKeystoreFile } from "@avskit/bls";
import { encryptEcdsaKeystore } from "@avskit/runtime";
import { formatStaticNetwork, staticMember, submitBatchesRequestToJson } from "@avskit/sequencer-protocol";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { sequencerService } from "../src/index.js";
import { freePort, until } from "./cluster.js";

const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  let out = "";
  let err = "";
  const code = await sequencerService.main(argv, {
    env,
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    handleSignals: false,
    logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  return { code, out, err };
};

describe("avskit-sequencer CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "avskit-sequencer-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists every flag with its env var", async () => {
    const { out } = await run(["--help"]).catch(() => ({ out: "", code: 0, err: "" }));
    for (const spec of Object.values(sequencerService.specs)) {
      expect(out).toContain(spec.flag);
      expect(out).toContain(`AVSKIT_SEQUENCER_${spec.flag.slice(2).replace(/-/g, "_").toUpperCase()}`);
    }
  });

  it("exits 2 naming the flag on bad configuration", async () => {
    expect(await run(["--network-file", "/nonexistent", "--metrics-addr", "none"])).toMatchObject({
      code: 2,
    });
    const keys = ["--bls-private-key", "0x1234", "--ecdsa-private-key", generatePrivateKey()];
    const noFile = await run([
      "--data-dir",
      dir,
      ...keys,
      "--network-file",
      join(dir, "missing.json"),
      "--metrics-addr",
      "none",
    ]);
    expect(noFile.code).toBe(2);
    expect(noFile.err).toContain("--network-file");
    const fault = await run(["--data-dir", dir, "--fault", "silent-leader", "--metrics-addr", "none"]);
    expect(fault.code).toBe(2);
    expect(fault.err).toContain("--fault");
    const badDuration = await run(["--data-dir", dir, "--heartbeat", "soon", "--metrics-addr", "none"]);
    expect(badDuration.code).toBe(2);
    expect(badDuration.err).toContain("--heartbeat");
  });

  it("runs a one-member network from encrypted keystores and finalizes alone", async () => {
    const bls = generateKeyPair();
    const ecdsa = generatePrivateKey();
    const port = await freePort();
    const networkFile = join(dir, "one.json");
    writeFileSync(
      networkFile,
      formatStaticNetwork({
        version: 1,
        members: [staticMember(bls, privateKeyToAddress(ecdsa), 1n, `http://127.0.0.1:${port}`)],
      }),
    );
    const blsPath = join(dir, "node.bls.key.json");
    await writeBlsKeystoreFile(blsPath, bls.secretKey, "bls-pass", { n: 1024 });
    const ecdsaPath = join(dir, "node.ecdsa.key.json");
    writeFileSync(ecdsaPath, JSON.stringify(await encryptEcdsaKeystore(ecdsa, "ecdsa-pass", { n: 1024 })));
    const config = sequencerService.resolveConfig(
      {
        networkFile,
        listen: `127.0.0.1:${port}`,
        dataDir: join(dir, "one"),
        blsKeystorePath: blsPath,
        ecdsaKeystorePath: ecdsaPath,
        metricsAddr: "none",
        logLevel: "error",
      },
      {
        AVSKIT_SEQUENCER_BLS_KEYSTORE_PASSWORD: "bls-pass",
        AVSKIT_SEQUENCER_ECDSA_KEYSTORE_PASSWORD: "ecdsa-pass",
      },
    );
    const running = await sequencerService.start(config);
    try {
      const url = running.handle.url;
      const res = await fetch(`${url}/v1/apps/solo/batches`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(submitBatchesRequestToJson({ batches: [{ body: new Uint8Array([1]) }] })),
      });
      expect(res.status).toBe(200);
      await until("final", () =>
        running.handle.node.apps.get("solo")?.finalizedIndex === 1 ? true : undefined,
      );
    } finally {
      await running.stop();
    }
  });
});
