import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictingSignerSourcesError,
  encryptEcdsaKeystore,
  InvalidKeystoreError,
  InvalidPrivateKeyError,
  loadSigner,
  MissingKeystorePasswordError,
  NoSignerError,
  SignerFileUnreadableError,
  WrongKeystorePasswordError,
} from "../src/index.js";

// anvil's first dev account: a public test key.
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const PASSWORD = "correct horse battery staple";
// Low scrypt cost keeps the tests fast; the format is the same as geth's standard cost.
const FAST = { n: 1024, r: 8, p: 1 };

/** The scrypt test vector of the Web3 Secret Storage definition (geth reads it as is). */
const SPEC_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      r: 1,
      p: 8,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const SPEC_VECTOR_KEY = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

let dir: string;
let keystorePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "avskit-signer-"));
  keystorePath = join(dir, "key.json");
  await writeFile(keystorePath, JSON.stringify(await encryptEcdsaKeystore(KEY, PASSWORD, FAST)));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("loadSigner", () => {
  it("loads a raw private key", async () => {
    expect((await loadSigner({ privateKey: KEY })).address).toBe(ADDRESS);
  });

  it("loads a keystore with the password given directly (as from an env var)", async () => {
    const account = await loadSigner({ keystorePath, password: PASSWORD });
    expect(account.address).toBe(ADDRESS);
    const signature = await account.signMessage?.({ message: "hello" });
    expect(signature).toMatch(/^0x[0-9a-f]{130}$/);
  });

  it("loads a keystore with the password from a file, ignoring one trailing newline", async () => {
    const passwordFile = join(dir, "password.txt");
    await writeFile(passwordFile, `${PASSWORD}\n`);
    expect((await loadSigner({ keystorePath, passwordFile })).address).toBe(ADDRESS);
  });

  it("writes geth's file layout: lowercase address without 0x, version 3, uuid", async () => {
    const json = await encryptEcdsaKeystore(KEY, PASSWORD, FAST);
    expect(json.address).toBe(ADDRESS.slice(2).toLowerCase());
    expect(json.version).toBe(3);
    expect(json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.crypto.kdf).toBe("scrypt");
  });

  it("reads the Web3 Secret Storage specification's scrypt test vector", async () => {
    const path = join(dir, "spec-vector.json");
    await writeFile(path, JSON.stringify(SPEC_VECTOR));
    const account = await loadSigner({ keystorePath: path, password: "testpassword" });
    const expected = await loadSigner({ privateKey: SPEC_VECTOR_KEY });
    expect(account.address).toBe(expected.address);
  }, 30_000);

  it("names the missing signer with the service's option names", async () => {
    const error = await rejection(
      loadSigner({ names: { privateKey: "--ecdsa-private-key", keystorePath: "--ecdsa-keystore-path" } }),
    );
    expect(error).toBeInstanceOf(NoSignerError);
    expect(error.message).toContain("--ecdsa-private-key");
    expect(error.message).toContain("--ecdsa-keystore-path");
  });

  it("refuses a key and a keystore together", async () => {
    const error = await rejection(loadSigner({ privateKey: KEY, keystorePath, password: PASSWORD }));
    expect(error).toBeInstanceOf(ConflictingSignerSourcesError);
    expect(error.message).not.toContain(KEY.slice(2));
  });

  it("refuses a password and a password file together", async () => {
    const error = await rejection(loadSigner({ keystorePath, password: PASSWORD, passwordFile: "/x" }));
    expect(error).toBeInstanceOf(ConflictingSignerSourcesError);
  });

  it("asks for a password when a keystore has none", async () => {
    expect(await rejection(loadSigner({ keystorePath }))).toBeInstanceOf(MissingKeystorePasswordError);
  });

  it("reports a wrong password without echoing it", async () => {
    const error = await rejection(loadSigner({ keystorePath, password: "not-the-password" }));
    expect(error).toBeInstanceOf(WrongKeystorePasswordError);
    expect(error.message).toContain(keystorePath);
    expect(error.message).not.toContain("not-the-password");
  });

  it("reports unreadable keystore and password files by path", async () => {
    const missing = join(dir, "missing.json");
    const keystoreError = await rejection(loadSigner({ keystorePath: missing, password: PASSWORD }));
    expect(keystoreError).toBeInstanceOf(SignerFileUnreadableError);
    expect(keystoreError.message).toContain(missing);
    expect(keystoreError.message).toContain("ENOENT");
    const passwordError = await rejection(loadSigner({ keystorePath, passwordFile: join(dir, "nope.txt") }));
    expect(passwordError).toBeInstanceOf(SignerFileUnreadableError);
    expect(passwordError.message).toContain("password file");
  });

  it("rejects files that are not v3 keystores, and an address that does not match the key", async () => {
    const cases: [string, string][] = [
      ["not-json.json", "{"],
      ["v2.json", JSON.stringify({ version: 2, crypto: {} })],
      ["no-crypto.json", JSON.stringify({ version: 3 })],
      [
        "bad-cipher.json",
        JSON.stringify({ ...SPEC_VECTOR, crypto: { ...SPEC_VECTOR.crypto, cipher: "aes-256-gcm" } }),
      ],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      const error = await rejection(loadSigner({ keystorePath: path, password: PASSWORD }));
      expect(error, name).toBeInstanceOf(InvalidKeystoreError);
      expect(error.message, name).toContain(path);
    }
    const other = await encryptEcdsaKeystore(KEY, PASSWORD, FAST);
    const lying = join(dir, "lying.json");
    await writeFile(lying, JSON.stringify({ ...other, address: "70997970c51812dc3a010c7d01b50e0d17dc79c8" }));
    const error = await rejection(loadSigner({ keystorePath: lying, password: PASSWORD }));
    expect(error).toBeInstanceOf(InvalidKeystoreError);
    expect(error.message).toContain("declares address");
  });

  it("rejects invalid private keys without echoing them", async () => {
    for (const bad of ["0x1234", `0x${"0".repeat(64)}`, `0x${"f".repeat(64)}`] as const) {
      const error = await rejection(loadSigner({ privateKey: bad as `0x${string}` }));
      expect(error, bad).toBeInstanceOf(InvalidPrivateKeyError);
      expect(error.message).not.toContain(bad.slice(2));
    }
  });
});
