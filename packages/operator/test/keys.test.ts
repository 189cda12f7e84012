import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decryptBlsKeystore,
  g2ToSolidity,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
  writeBlsKeystoreFile,
} from "@avskit/bls";
import { encryptEcdsaKeystore } from "@avskit/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CorruptKeyFileError,
  INSECURE_SCRYPT,
  KeyNotFoundError,
  loadBlsKey,
  loadEcdsaKey,
  WrongPasswordError,
} from "../src/index.js";
import { cli } from "./helpers/cli.js";

const PASSWORD = "hunter2-but-longer";
// anvil's first dev account: a public test key.
const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ANVIL_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

let root: string;
let counter = 0;
/** A fresh keys folder per test, so tests do not see each other's keys. */
function freshDir(): string {
  counter += 1;
  return join(root, `keys-${counter}`);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "avskit-operator-keys-"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}) => ({ AVSKIT_BLS_KEY_PASSWORD: PASSWORD, ...extra });

describe("keys create / list / show (BLS)", () => {
  it("creates an eigensdk-format key readable only by its owner, lists it without the password and shows G2 with it", async () => {
    const dir = freshDir();
    const created = await cli(["keys", "create", "op1", "--keys-dir", dir, "--insecure-kdf", "--json"], {
      env: env(),
    });
    expect(created.code, created.err).toBe(0);
    const info = JSON.parse(created.out);
    const path = join(dir, "op1.bls.key.json");
    expect(info.path).toBe(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // The file is eigensdk-go's format and decrypts to the key whose ids were printed.
    const keyPair = await decryptBlsKeystore(await readFile(path, "utf8"), PASSWORD);
    expect(info.operatorId).toBe(operatorIdFromPublicKey(keyPair.publicKeyG1));
    const g2 = g2ToSolidity(keyPair.publicKeyG2);
    expect(info.publicKeyG2.X).toEqual(g2.X.map(String));
    expect(info.publicKeyG2.Y).toEqual(g2.Y.map(String));

    // list needs no password (no env given here) and reads the clear-text pubKey.
    const listed = await cli(["keys", "list", "--keys-dir", dir, "--json"]);
    expect(listed.code, listed.err).toBe(0);
    const entries = JSON.parse(listed.out);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ type: "bls", name: "op1", operatorId: info.operatorId });
    expect(entries[0].publicKeyG2).toBeUndefined();

    const shown = await cli(["keys", "show", "op1", "--keys-dir", dir], { env: env() });
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain(info.operatorId);
    expect(shown.out).toContain(`X=[${g2.X[0]}, ${g2.X[1]}]`);
    expect(shown.out).not.toContain(PASSWORD);
  });

  it("takes the password from --password-file or --password-stdin, and refuses to run without one", async () => {
    const dir = freshDir();
    const passwordFile = join(root, "password.txt");
    await writeFile(passwordFile, `${PASSWORD}\n`);
    const fromFile = await cli([
      "keys",
      "create",
      "a",
      "--keys-dir",
      dir,
      "--insecure-kdf",
      "--password-file",
      passwordFile,
    ]);
    expect(fromFile.code, fromFile.err).toBe(0);
    // The trailing newline is not part of the password.
    await expect(loadBlsKey(join(dir, "a.bls.key.json"), PASSWORD)).resolves.toBeDefined();

    const fromStdin = await cli(
      ["keys", "create", "b", "--keys-dir", dir, "--insecure-kdf", "--password-stdin"],
      {
        stdin: `${PASSWORD}\n`,
      },
    );
    expect(fromStdin.code, fromStdin.err).toBe(0);
    await expect(loadBlsKey(join(dir, "b.bls.key.json"), PASSWORD)).resolves.toBeDefined();

    const none = await cli(["keys", "create", "c", "--keys-dir", dir, "--insecure-kdf"]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/needs a password: set the environment variable AVSKIT_BLS_KEY_PASSWORD/);
    const listed = JSON.parse((await cli(["keys", "list", "--keys-dir", dir, "--json"])).out);
    expect(listed.map((entry: { name: string }) => entry.name)).toEqual(["a", "b"]);
  });

  it("never overwrites an existing key", async () => {
    const dir = freshDir();
    expect(
      (await cli(["keys", "create", "op", "--keys-dir", dir, "--insecure-kdf"], { env: env() })).code,
    ).toBe(0);
    const before = await readFile(join(dir, "op.bls.key.json"), "utf8");
    const again = await cli(["keys", "create", "op", "--keys-dir", dir, "--insecure-kdf"], { env: env() });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    expect(await readFile(join(dir, "op.bls.key.json"), "utf8")).toBe(before);
  });

  it("reports a wrong password without revealing it, and names a missing key", async () => {
    const dir = freshDir();
    await cli(["keys", "create", "op", "--keys-dir", dir, "--insecure-kdf"], { env: env() });
    const wrong = await cli(["keys", "show", "op", "--keys-dir", dir], {
      env: { AVSKIT_BLS_KEY_PASSWORD: "not-the-password" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/wrong password for the key file .*op\.bls\.key\.json/);
    expect(wrong.err).not.toContain("not-the-password");
    await expect(loadBlsKey(join(dir, "op.bls.key.json"), "nope")).rejects.toBeInstanceOf(WrongPasswordError);

    const missing = await cli(["keys", "show", "ghost", "--keys-dir", dir], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no BLS key file at .*ghost\.bls\.key\.json/);
    await expect(loadBlsKey(join(dir, "ghost.bls.key.json"), PASSWORD)).rejects.toBeInstanceOf(
      KeyNotFoundError,
    );
  });

  it("lists a corrupt file as unreadable without hiding the good ones, and refuses to show it", async () => {
    const dir = freshDir();
    await cli(["keys", "create", "good", "--keys-dir", dir, "--insecure-kdf"], { env: env() });
    await writeFile(join(dir, "broken.bls.key.json"), "{ not json");
    const good = JSON.parse(await readFile(join(dir, "good.bls.key.json"), "utf8"));
    await writeFile(join(dir, "tampered.bls.key.json"), JSON.stringify({ ...good, pubKey: "E([1,2])" }));

    const listed = await cli(["keys", "list", "--keys-dir", dir]);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toMatch(
      /broken {2}UNREADABLE: cannot use the key file .*broken\.bls\.key\.json: corrupt BLS keystore/,
    );
    expect(listed.out).toMatch(/bls {4}good {2}operatorId 0x[0-9a-f]{64}/);

    const broken = await cli(["keys", "show", "broken", "--keys-dir", dir], { env: env() });
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/corrupt BLS keystore: \(json\) is not valid JSON/);
    // A pubKey that is not the key's own is caught after decryption.
    await expect(loadBlsKey(join(dir, "tampered.bls.key.json"), PASSWORD)).rejects.toBeInstanceOf(
      CorruptKeyFileError,
    );
  });

  it("rejects key names that are not plain file names", async () => {
    const result = await cli(["keys", "create", "../escape", "--keys-dir", freshDir()], { env: env() });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/invalid key name "\.\.\/escape"/);
  });
});

describe("keys import (BLS)", () => {
  const secretKey = 0x1234_5678_9abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0_1234_5678_9abc_def0n;
  const expectedId = operatorIdFromPublicKey(keyPairFromSecretKey(secretKey).publicKeyG1);

  it("imports a secret from the environment (hex), a file (decimal) or standard input", async () => {
    const dir = freshDir();
    const hex = `0x${secretKey.toString(16)}`;
    const fromEnv = await cli(["keys", "import", "e", "--keys-dir", dir, "--insecure-kdf", "--json"], {
      env: env({ AVSKIT_BLS_SECRET_KEY: hex }),
    });
    expect(fromEnv.code, fromEnv.err).toBe(0);
    expect(JSON.parse(fromEnv.out).operatorId).toBe(expectedId);
    expect(fromEnv.out).not.toContain(hex.slice(2));

    const secretFile = join(root, "bls-secret.txt");
    await writeFile(secretFile, `${secretKey.toString(10)}\n`);
    const fromFile = await cli(
      ["keys", "import", "f", "--keys-dir", dir, "--insecure-kdf", "--secret-file", secretFile, "--json"],
      {
        env: env(),
      },
    );
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(JSON.parse(fromFile.out).operatorId).toBe(expectedId);

    const fromStdin = await cli(
      ["keys", "import", "s", "--keys-dir", dir, "--insecure-kdf", "--secret-stdin", "--json"],
      {
        env: env(),
        stdin: hex,
      },
    );
    expect(fromStdin.code, fromStdin.err).toBe(0);
    expect((await loadBlsKey(join(dir, "s.bls.key.json"), PASSWORD)).secretKey).toBe(secretKey);
  });

  it("refuses invalid secrets and creates no file", async () => {
    const dir = freshDir();
    const order = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    for (const bad of ["0", "0x0", order, "not-a-key", `0x${"f".repeat(65)}`]) {
      const result = await cli(["keys", "import", "bad", "--keys-dir", dir, "--insecure-kdf"], {
        env: env({ AVSKIT_BLS_SECRET_KEY: bad }),
      });
      expect(result.code, bad).toBe(1);
      expect(result.err).toMatch(/the BLS secret key to import is not valid/);
    }
    const nothing = await cli(["keys", "import", "bad", "--keys-dir", dir], { env: env() });
    expect(nothing.code).toBe(2);
    expect(nothing.err).toMatch(/nothing to import/);
    expect(JSON.parse((await cli(["keys", "list", "--keys-dir", dir, "--json"])).out)).toEqual([]);
  });

  it("copies an existing eigensdk-go key file byte for byte after checking its password", async () => {
    const dir = freshDir();
    const source = join(root, "external.bls.key.json");
    await writeBlsKeystoreFile(source, secretKey, PASSWORD, { ...INSECURE_SCRYPT, overwrite: true });
    const original = await readFile(source, "utf8");

    const wrong = await cli(["keys", "import", "ext", "--keys-dir", dir, "--from-file", source], {
      env: { AVSKIT_BLS_KEY_PASSWORD: "wrong" },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/wrong password/);

    const imported = await cli(
      ["keys", "import", "ext", "--keys-dir", dir, "--from-file", source, "--json"],
      {
        env: env(),
      },
    );
    expect(imported.code, imported.err).toBe(0);
    expect(JSON.parse(imported.out).operatorId).toBe(expectedId);
    expect(await readFile(join(dir, "ext.bls.key.json"), "utf8")).toBe(original);
    await expect(
      cli(["keys", "import", "ext", "--keys-dir", dir, "--from-file", source], { env: env() }),
    ).resolves.toMatchObject({ code: 1, err: expect.stringMatching(/already exists/) });
  });
});

describe("keys (ECDSA)", () => {
  const ecdsaEnv = (extra: NodeJS.ProcessEnv = {}) => ({ AVSKIT_ECDSA_KEY_PASSWORD: PASSWORD, ...extra });

  it("creates a geth-style keystore, lists its address without the password, and opens it with the password", async () => {
    const dir = freshDir();
    const created = await cli(
      ["keys", "create", "tx", "--type", "ecdsa", "--keys-dir", dir, "--insecure-kdf", "--json"],
      {
        env: ecdsaEnv(),
      },
    );
    expect(created.code, created.err).toBe(0);
    const { address, path } = JSON.parse(created.out);
    expect(path).toBe(join(dir, "tx.ecdsa.key.json"));
    expect((await loadEcdsaKey(path, PASSWORD)).address).toBe(address);
    await expect(loadEcdsaKey(path, "wrong")).rejects.toBeInstanceOf(WrongPasswordError);

    const listed = JSON.parse((await cli(["keys", "list", "--keys-dir", dir, "--json"])).out);
    expect(listed).toEqual([{ type: "ecdsa", name: "tx", path, address }]);
    const shown = await cli(["keys", "show", "tx", "--key-type", "ecdsa", "--keys-dir", dir]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain(address);
  });

  it("imports a private key from AVSKIT_ECDSA_PRIVATE_KEY or an existing keystore", async () => {
    const dir = freshDir();
    const fromEnv = await cli(
      ["keys", "import", "dev", "--key-type", "ecdsa", "--keys-dir", dir, "--insecure-kdf", "--json"],
      {
        env: ecdsaEnv({ AVSKIT_ECDSA_PRIVATE_KEY: ANVIL_KEY }),
      },
    );
    expect(fromEnv.code, fromEnv.err).toBe(0);
    expect(JSON.parse(fromEnv.out).address).toBe(ANVIL_ADDRESS);
    expect(fromEnv.out).not.toContain(ANVIL_KEY.slice(2));

    const source = join(root, "geth.json");
    await writeFile(source, JSON.stringify(await encryptEcdsaKeystore(ANVIL_KEY, PASSWORD, INSECURE_SCRYPT)));
    const fromFile = await cli(
      ["keys", "import", "geth", "--key-type", "ecdsa", "--keys-dir", dir, "--from-file", source],
      {
        env: ecdsaEnv(),
      },
    );
    expect(fromFile.code, fromFile.err).toBe(0);
    expect((await loadEcdsaKey(join(dir, "geth.ecdsa.key.json"), PASSWORD)).address).toBe(ANVIL_ADDRESS);

    const bad = await cli(["keys", "import", "bad", "--key-type", "ecdsa", "--keys-dir", dir], {
      env: ecdsaEnv({ AVSKIT_ECDSA_PRIVATE_KEY: "0x1234" }),
    });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ECDSA private key to import is not valid/);
  });
});

describe("CLI surface", () => {
  it("prints help with every option's environment variable", async () => {
    const help = await cli(["keys", "create", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--keys-dir <dir>");
    expect(help.out).toContain("env AVSKIT_KEYS_DIR");
    expect(help.out).toContain("AVSKIT_BLS_KEY_PASSWORD");
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/keys/);
  });

  it("reads options from a --config file, with flags taking precedence", async () => {
    const dir = freshDir();
    const config = join(root, "config.json");
    await writeFile(config, JSON.stringify({ "keys-dir": dir, "insecure-kdf": true }));
    expect((await cli(["keys", "create", "cfg", "--config", config], { env: env() })).code).toBe(0);
    const listed = JSON.parse((await cli(["keys", "list", "--json"], { env: { AVSKIT_KEYS_DIR: dir } })).out);
    expect(listed.map((entry: { name: string }) => entry.name)).toEqual(["cfg"]);
    const file = JSON.parse(await readFile(join(dir, "cfg.bls.key.json"), "utf8"));
    expect(file.crypto.kdfparams.n).toBe(INSECURE_SCRYPT.n);
  });

  it("names the flag and env var of an invalid value", async () => {
    const result = await cli(["keys", "create", "x", "--key-type", "rsa"], { env: env() });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/invalid --key-type \(env AVSKIT_KEY_TYPE\)/);
  });
});
