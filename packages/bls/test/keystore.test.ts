import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ctr } from "@noble/ciphers/aes.js";
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes, randomBytes } from "@noble/hashes/utils.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigIntToBytes } from "../src/bytes.js";
import { CURVE_ORDER, FIELD_MODULUS, G1 } from "../src/curve.js";
import { InvalidSecretKeyError } from "../src/errors.js";
import { generateSecretKey, keyPairFromSecretKey, publicKeyG1 } from "../src/keys.js";
import {
  type BlsKeystoreJson,
  blsKeystorePublicKey,
  decryptBlsKeystore,
  encryptBlsKeystore,
  serializeBlsKeystore,
} from "../src/keystore.js";
import {
  decryptSecretStorage,
  encryptSecretStorage,
  STANDARD_SCRYPT_PARAMS,
} from "../src/keystore-crypto.js";
import {
  KeystoreCorruptError,
  KeystoreError,
  KeystoreFileExistsError,
  KeystoreInvalidArgumentError,
  KeystorePubKeyMismatchError,
  KeystoreUnsupportedError,
  KeystoreWrongPasswordError,
} from "../src/keystore-errors.js";
import { readBlsKeystoreFile, writeBlsKeystoreFile } from "../src/keystore-file.js";
import { formatKeystorePubKey, parseKeystorePubKey } from "../src/keystore-pubkey.js";

/** Light scrypt cost for everything except the clearly marked default-cost tests. */
const FAST = { n: 2 ** 12, r: 8, p: 1 } as const;
const PASSWORD = "correct horse battery staple";
const SLOW_TIMEOUT_MS = 120_000;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

async function corruptField(json: unknown, password = PASSWORD): Promise<string> {
  const error = await rejection(decryptBlsKeystore(json, password));
  expect(error).toBeInstanceOf(KeystoreCorruptError);
  expect(error).toMatchObject({ code: "KEYSTORE_CORRUPT" });
  return (error as KeystoreCorruptError).field;
}

type EditableCrypto = Record<string, unknown> & {
  kdfparams: Record<string, unknown>;
  cipherparams: Record<string, unknown>;
};
type EditableKeystore = Record<string, unknown> & { crypto: EditableCrypto };

function edited(base: BlsKeystoreJson, edit: (doc: EditableKeystore) => void): unknown {
  const copy = structuredClone(base) as unknown as EditableKeystore;
  edit(copy);
  return copy;
}

function flipFirstHexDigit(hex: string): string {
  return (hex[0] === "0" ? "1" : "0") + hex.slice(1);
}

/**
 * A key file built straight from the Web3 Secret Storage spec with PBKDF2, independently of
 * the package's writer (which only writes scrypt, like geth).
 */
function pbkdf2Keystore(secretKey: bigint, password: string, c: number): unknown {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = pbkdf2(sha256, password, salt, { c, dkLen: 32 });
  const ciphertext = ctr(derived.slice(0, 16), iv).encrypt(bigIntToBytes(secretKey));
  const mac = keccak_256(new Uint8Array([...derived.slice(16, 32), ...ciphertext]));
  return {
    pubKey: formatKeystorePubKey(publicKeyG1(secretKey)),
    crypto: {
      cipher: "aes-128-ctr",
      ciphertext: bytesToHex(ciphertext),
      cipherparams: { iv: bytesToHex(iv) },
      kdf: "pbkdf2",
      kdfparams: { c, dklen: 32, prf: "hmac-sha256", salt: bytesToHex(salt) },
      mac: bytesToHex(mac),
    },
  };
}

let secretKey: bigint;
let base: BlsKeystoreJson;

beforeAll(async () => {
  secretKey = generateSecretKey();
  base = await encryptBlsKeystore(secretKey, PASSWORD, FAST);
});

// ---------------------------------------------------------------------------------------------
// DEFAULT-COST TESTS (slow on purpose: scrypt n = 262144, ~1-3 s per derivation). They prove
// compatibility with files eigensdk-go writes and with the published spec vectors.
// ---------------------------------------------------------------------------------------------
describe("compatibility at the default scrypt cost (SLOW)", () => {
  /**
   * A key file written by eigensdk-go's own test (KeyPair.SaveToFile, password "test") and
   * committed to its repository as crypto/bls/operator_keys_test_directory/test.bls.key.json.
   * Its pubKey was printed by gnark-crypto, so it checks our G1 arithmetic and formatting too.
   */
  const EIGENSDK_GO_FILE =
    '{"pubKey":"E([5926317184925439151187795302636898395466174058057092923258039738351796578930,' +
    '8089142686356639658893903961565109796481315873249662043487003602119643699529])",' +
    '"crypto":{"cipher":"aes-128-ctr","ciphertext":"ec8df0cc0f9d018e7a1e6f8c20f105bb38a17b9805f13e3ab2e69556c1288a51",' +
    '"cipherparams":{"iv":"6b96f79710ae9197515e46a4598e60a4"},"kdf":"scrypt","kdfparams":{"dklen":32,"n":262144,' +
    '"p":1,"r":8,"salt":"7fe997aed25467c33a26d07d3989c48ab406a46614f2b88fac3cedc743a1f59c"},' +
    '"mac":"a4e032edf49b1d2aa158a2d0c771b8207facce7cbeb0fb5f3b5386be15424b22"}}';

  it(
    "round trip at the default parameters: reads a key file eigensdk-go wrote, writes it back byte for byte",
    async () => {
      const keyPair = await decryptBlsKeystore(EIGENSDK_GO_FILE, "test");
      const { x, y } = keyPair.publicKeyG1.toAffine();
      expect(x).toBe(5926317184925439151187795302636898395466174058057092923258039738351796578930n);
      expect(y).toBe(8089142686356639658893903961565109796481315873249662043487003602119643699529n);

      const parsed = JSON.parse(EIGENSDK_GO_FILE) as BlsKeystoreJson;
      const rewritten = await encryptBlsKeystore(keyPair.secretKey, "test", {
        salt: hexToBytes(parsed.crypto.kdfparams.salt),
        iv: hexToBytes(parsed.crypto.cipherparams.iv),
      });
      // No cost options were given: the defaults are eigensdk-go's (geth's standard) parameters.
      expect(STANDARD_SCRYPT_PARAMS).toEqual({ n: 262144, r: 8, p: 1 });
      expect(rewritten.crypto.kdfparams).toMatchObject({ dklen: 32, ...STANDARD_SCRYPT_PARAMS });
      expect(serializeBlsKeystore(rewritten)).toBe(EIGENSDK_GO_FILE);
    },
    SLOW_TIMEOUT_MS,
  );

  /** The scrypt test vector of the Ethereum wiki's "Web3 Secret Storage Definition". */
  const WIKI_SCRYPT_VECTOR = {
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
  };
  /** The wiki's PBKDF2 vector: same password and secret. */
  const WIKI_PBKDF2_VECTOR = {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  };
  const WIKI_SECRET = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

  it(
    "decrypts the Web3 Secret Storage scrypt test vector",
    async () => {
      const plaintext = await decryptSecretStorage(WIKI_SCRYPT_VECTOR, "testpassword");
      expect(bytesToHex(plaintext)).toBe(WIKI_SECRET);
    },
    SLOW_TIMEOUT_MS,
  );

  it(
    "decrypts the Web3 Secret Storage pbkdf2 test vector",
    async () => {
      const plaintext = await decryptSecretStorage(WIKI_PBKDF2_VECTOR, "testpassword");
      expect(bytesToHex(plaintext)).toBe(WIKI_SECRET);
    },
    SLOW_TIMEOUT_MS,
  );

  it("the wiki's secret is not a BN254 scalar, so the BLS layer refuses it (cheap re-encryption)", async () => {
    expect(BigInt(`0x${WIKI_SECRET}`) >= CURVE_ORDER).toBe(true);
    const crypto = await encryptSecretStorage(hexToBytes(WIKI_SECRET), "testpassword", FAST);
    const file = { pubKey: base.pubKey, crypto };
    expect(await corruptField(file, "testpassword")).toBe("crypto.ciphertext");
    const error = await rejection(decryptBlsKeystore(file, "testpassword"));
    expect((error as Error).message).toMatch(/outside \[1, r\)/);
    expect((error as Error).message).not.toContain(WIKI_SECRET);
  });
});

describe("round trips (light scrypt cost)", () => {
  it("decrypts its own output from the object, the JSON text and the file bytes", async () => {
    const text = serializeBlsKeystore(base);
    for (const form of [base, text, new TextEncoder().encode(text), `\uFEFF${text}`]) {
      const keyPair = await decryptBlsKeystore(form, PASSWORD);
      expect(keyPair.secretKey).toBe(secretKey);
      expect(keyPair.publicKeyG2.equals(keyPairFromSecretKey(secretKey).publicKeyG2)).toBe(true);
    }
  });

  it("lays the file out as eigensdk-go does", () => {
    expect(Object.keys(base)).toEqual(["pubKey", "crypto"]);
    expect(Object.keys(base.crypto)).toEqual([
      "cipher",
      "ciphertext",
      "cipherparams",
      "kdf",
      "kdfparams",
      "mac",
    ]);
    expect(Object.keys(base.crypto.kdfparams)).toEqual(["dklen", "n", "p", "r", "salt"]);
    expect(base.crypto).toMatchObject({
      cipher: "aes-128-ctr",
      kdf: "scrypt",
      kdfparams: { dklen: 32, ...FAST },
    });
    expect(base.pubKey).toMatch(/^E\(\[\d+,\d+\]\)$/);
  });

  it("uses a fresh 32-byte salt and 16-byte iv every time", async () => {
    expect(base.crypto.kdfparams.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(base.crypto.cipherparams.iv).toMatch(/^[0-9a-f]{32}$/);
    expect(base.crypto.ciphertext).toMatch(/^[0-9a-f]{64}$/);
    const again = await encryptBlsKeystore(secretKey, PASSWORD, FAST);
    expect(again.crypto.kdfparams.salt).not.toBe(base.crypto.kdfparams.salt);
    expect(again.crypto.cipherparams.iv).not.toBe(base.crypto.cipherparams.iv);
    expect(again.crypto.ciphertext).not.toBe(base.crypto.ciphertext);
  });

  it("reads PBKDF2 (hmac-sha256) key files", async () => {
    const keyPair = await decryptBlsKeystore(pbkdf2Keystore(secretKey, PASSWORD, 1000), PASSWORD);
    expect(keyPair.secretKey).toBe(secretKey);
  });

  it("ignores unknown fields and matches member names case-insensitively, as Go's encoding/json does", async () => {
    const json = {
      version: 3,
      id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
      address: "008aeeda4d805471df9b2a5b0f38a0c3bcba786b",
      PubKey: base.pubKey,
      Crypto: {
        Cipher: base.crypto.cipher,
        CipherText: base.crypto.ciphertext,
        CIPHERPARAMS: { IV: base.crypto.cipherparams.iv },
        KDF: base.crypto.kdf,
        kdfParams: base.crypto.kdfparams,
        Mac: base.crypto.mac,
      },
    };
    expect((await decryptBlsKeystore(json, PASSWORD)).secretKey).toBe(secretKey);
  });

  it("uses the password's raw UTF-8 bytes, without Unicode normalisation (like eigensdk-go)", async () => {
    const composed = "caf\u00e9"; // é as one code point
    const keystore = await encryptBlsKeystore(secretKey, composed, FAST);
    const asBytes = new TextEncoder().encode(composed);
    expect((await decryptBlsKeystore(keystore, asBytes)).secretKey).toBe(secretKey);
    const decomposed = "cafe\u0301"; // NFKD form: e + combining acute accent
    expect(await rejection(decryptBlsKeystore(keystore, decomposed))).toBeInstanceOf(
      KeystoreWrongPasswordError,
    );
  });

  it("accepts an empty password, as geth does", async () => {
    const keystore = await encryptBlsKeystore(secretKey, "", FAST);
    expect((await decryptBlsKeystore(keystore, "")).secretKey).toBe(secretKey);
  });

  it("reads the public key without the password", () => {
    expect(blsKeystorePublicKey(base).equals(publicKeyG1(secretKey))).toBe(true);
  });
});

describe("pubKey in gnark's E([x,y]) form", () => {
  it("prints and parses coordinates p−k (k ≤ 65535) as -k, as gnark-crypto does", () => {
    const minusG = G1.BASE.negate(); // (1, p − 2)
    expect(formatKeystorePubKey(minusG)).toBe("E([1,-2])");
    expect(parseKeystorePubKey("E([1,-2])").equals(minusG)).toBe(true);
    expect(formatKeystorePubKey(G1.BASE)).toBe("E([1,2])");
  });

  it("tolerates whitespace", () => {
    expect(parseKeystorePubKey(" E( [ 1 ,\n 2 ] ) ").equals(G1.BASE)).toBe(true);
  });

  it("decrypts a key whose public key has a negative-form coordinate", async () => {
    const keystore = await encryptBlsKeystore(CURVE_ORDER - 1n, PASSWORD, FAST);
    expect(keystore.pubKey).toBe("E([1,-2])");
    expect((await decryptBlsKeystore(keystore, PASSWORD)).secretKey).toBe(CURVE_ORDER - 1n);
  });

  it.each([
    ["garbage", "not-a-point"],
    ["hex coordinates", "E([0x1,0x2])"],
    ["missing coordinate", "E([1])"],
    ["off the curve", "E([1,3])"],
    ["coordinate ≥ p", `E([${FIELD_MODULUS + 1n},2])`],
    ["the point at infinity", "O"],
    ["(0,0)", "E([0,0])"],
    ["empty", ""],
  ])("refuses a pubKey that is %s", async (_name, pubKey) => {
    expect(await corruptField({ ...base, pubKey })).toBe("pubKey");
  });

  it("refuses a file without pubKey (e.g. an ECDSA key file)", async () => {
    const error = await rejection(decryptBlsKeystore({ crypto: base.crypto }, PASSWORD));
    expect(error).toMatchObject({ code: "KEYSTORE_CORRUPT", field: "pubKey" });
    expect((error as Error).message).toMatch(/ECDSA/);
  });

  it("refuses a pubKey that is not sk·G1, with its own error", async () => {
    const other = formatKeystorePubKey(publicKeyG1(generateSecretKey()));
    const error = await rejection(decryptBlsKeystore({ ...base, pubKey: other }, PASSWORD));
    expect(error).toBeInstanceOf(KeystorePubKeyMismatchError);
    expect(error).toBeInstanceOf(KeystoreCorruptError);
    expect(error).toMatchObject({ code: "KEYSTORE_PUBKEY_MISMATCH", field: "pubKey" });
  });
});

describe("wrong password and tampering", () => {
  it("reports a wrong password as KeystoreWrongPasswordError, never echoing it", async () => {
    const error = await rejection(decryptBlsKeystore(base, "not the password"));
    expect(error).toBeInstanceOf(KeystoreWrongPasswordError);
    expect(error).toBeInstanceOf(KeystoreError);
    expect(error).toMatchObject({ code: "KEYSTORE_WRONG_PASSWORD", name: "KeystoreWrongPasswordError" });
    expect((error as Error).message).not.toContain("not the password");
  });

  it("detects an altered mac or ciphertext through the MAC", async () => {
    for (const member of ["mac", "ciphertext"] as const) {
      const json = edited(base, (doc) => {
        doc.crypto[member] = flipFirstHexDigit(base.crypto[member]);
      });
      expect(await rejection(decryptBlsKeystore(json, PASSWORD))).toBeInstanceOf(KeystoreWrongPasswordError);
    }
  });

  it("detects an altered iv or salt through the MAC", async () => {
    const badIv = edited(base, (doc) => {
      doc.crypto.cipherparams.iv = flipFirstHexDigit(base.crypto.cipherparams.iv);
    });
    const badSalt = edited(base, (doc) => {
      doc.crypto.kdfparams.salt = flipFirstHexDigit(base.crypto.kdfparams.salt);
    });
    // The iv is not covered by the MAC (geth's design): the key decrypts to garbage, caught by the pubKey check.
    expect(await rejection(decryptBlsKeystore(badIv, PASSWORD))).toBeInstanceOf(KeystoreCorruptError);
    expect(await rejection(decryptBlsKeystore(badSalt, PASSWORD))).toBeInstanceOf(KeystoreWrongPasswordError);
  });
});

describe("corrupt files name the field", () => {
  it("refuses text that is not JSON, and JSON that is not an object", async () => {
    expect(await corruptField("{not json")).toBe("(json)");
    expect(await corruptField(serializeBlsKeystore(base).slice(0, 100))).toBe("(json)");
    expect(await corruptField("[]")).toBe("(json)");
    expect(await corruptField("null")).toBe("(json)");
    expect(await corruptField(new Uint8Array([0xff, 0xfe, 0x7b]))).toBe("(json)");
  });

  it.each<[string, (doc: EditableKeystore) => void, string]>([
    ["crypto missing", (d) => delete (d as Record<string, unknown>).crypto, "crypto"],
    ["crypto not an object", (d) => ((d as Record<string, unknown>).crypto = "x"), "crypto"],
    ["ciphertext missing", (d) => delete d.crypto.ciphertext, "crypto.ciphertext"],
    ["ciphertext not hex", (d) => (d.crypto.ciphertext = "zz".repeat(32)), "crypto.ciphertext"],
    ["ciphertext odd length", (d) => (d.crypto.ciphertext = "abc"), "crypto.ciphertext"],
    ["ciphertext 31 bytes", (d) => (d.crypto.ciphertext = "00".repeat(31)), "crypto.ciphertext"],
    ["ciphertext 33 bytes", (d) => (d.crypto.ciphertext = "00".repeat(33)), "crypto.ciphertext"],
    ["ciphertext empty", (d) => (d.crypto.ciphertext = ""), "crypto.ciphertext"],
    ["cipherparams missing", (d) => Reflect.deleteProperty(d.crypto, "cipherparams"), "crypto.cipherparams"],
    ["iv 8 bytes", (d) => (d.crypto.cipherparams.iv = "00".repeat(8)), "crypto.cipherparams.iv"],
    ["iv a number", (d) => (d.crypto.cipherparams.iv = 7), "crypto.cipherparams.iv"],
    ["mac missing", (d) => delete d.crypto.mac, "crypto.mac"],
    ["mac 31 bytes", (d) => (d.crypto.mac = "00".repeat(31)), "crypto.mac"],
    ["cipher missing", (d) => delete d.crypto.cipher, "crypto.cipher"],
    ["kdf missing", (d) => delete d.crypto.kdf, "crypto.kdf"],
    ["kdfparams missing", (d) => Reflect.deleteProperty(d.crypto, "kdfparams"), "crypto.kdfparams"],
    ["salt not hex", (d) => (d.crypto.kdfparams.salt = "0xg0"), "crypto.kdfparams.salt"],
    ["n missing", (d) => delete d.crypto.kdfparams.n, "crypto.kdfparams.n"],
    ["n as a string", (d) => (d.crypto.kdfparams.n = "4096"), "crypto.kdfparams.n"],
    ["n not a power of two", (d) => (d.crypto.kdfparams.n = 4000), "crypto.kdfparams.n"],
    ["n fractional", (d) => (d.crypto.kdfparams.n = 4096.5), "crypto.kdfparams.n"],
    ["r zero", (d) => (d.crypto.kdfparams.r = 0), "crypto.kdfparams.r"],
    ["p negative", (d) => (d.crypto.kdfparams.p = -1), "crypto.kdfparams.p"],
    ["dklen 16", (d) => (d.crypto.kdfparams.dklen = 16), "crypto.kdfparams.dklen"],
    [
      "kdfparams keys in another case (a Go map: exact keys)",
      (d) => {
        d.crypto.kdfparams = { DKLEN: 32, N: 4096, R: 8, P: 1, SALT: d.crypto.kdfparams.salt };
      },
      "crypto.kdfparams.dklen",
    ],
  ])("%s", async (_name, edit, field) => {
    expect(await corruptField(edited(base, edit))).toBe(field);
  });

  it("refuses a secret key of zero", async () => {
    const crypto = await encryptSecretStorage(new Uint8Array(32), PASSWORD, FAST);
    expect(await corruptField({ pubKey: base.pubKey, crypto })).toBe("crypto.ciphertext");
  });

  it("accepts 0x-prefixed and upper-case hex", async () => {
    const json = edited(base, (doc) => {
      doc.crypto.ciphertext = `0x${base.crypto.ciphertext.toUpperCase()}`;
      doc.crypto.mac = base.crypto.mac.toUpperCase();
    });
    expect((await decryptBlsKeystore(json, PASSWORD)).secretKey).toBe(secretKey);
  });
});

describe("unsupported algorithms are named", () => {
  it.each<[string, (doc: EditableKeystore) => void, string, string]>([
    ["kdf argon2", (d) => (d.crypto.kdf = "argon2"), "kdf", "argon2"],
    ["kdf in another case (geth compares exactly)", (d) => (d.crypto.kdf = "SCRYPT"), "kdf", "SCRYPT"],
    ["cipher aes-128-cbc", (d) => (d.crypto.cipher = "aes-128-cbc"), "cipher", "aes-128-cbc"],
    ["cipher aes-256-gcm", (d) => (d.crypto.cipher = "aes-256-gcm"), "cipher", "aes-256-gcm"],
    [
      "pbkdf2 prf hmac-sha512",
      (d) => {
        d.crypto.kdf = "pbkdf2";
        d.crypto.kdfparams = { c: 1000, dklen: 32, prf: "hmac-sha512", salt: "00" };
      },
      "pbkdf2 prf",
      "hmac-sha512",
    ],
    [
      "scrypt needing 1 GiB+ (refused before allocating it)",
      (d) => {
        d.crypto.kdfparams.n = 2 ** 20;
      },
      "scrypt cost",
      "n=1048576 r=8 p=1",
    ],
    [
      "scrypt work far beyond the standard",
      (d) => (d.crypto.kdfparams.p = 4096),
      "scrypt cost",
      "n=4096 r=8 p=4096",
    ],
  ])("%s", async (_name, edit, feature, value) => {
    const error = await rejection(decryptBlsKeystore(edited(base, edit), PASSWORD));
    expect(error).toBeInstanceOf(KeystoreUnsupportedError);
    expect(error).toMatchObject({ code: "KEYSTORE_UNSUPPORTED", feature, value });
    expect((error as Error).message).toContain(value);
  });
});

describe("arguments", () => {
  it("refuses invalid secret keys before encrypting", async () => {
    for (const bad of [0n, CURVE_ORDER, -1n]) {
      expect(await rejection(encryptBlsKeystore(bad, PASSWORD, FAST))).toBeInstanceOf(InvalidSecretKeyError);
    }
  });

  it.each([
    ["n not a power of two", { n: 1000 }, "options.n"],
    ["n = 1", { n: 1 }, "options.n"],
    ["r = 0", { r: 0 }, "options.r"],
    ["too costly", { n: 2 ** 21, r: 8 }, "options.n/r/p"],
    ["short salt", { ...FAST, salt: new Uint8Array(8) }, "options.salt"],
    ["short iv", { ...FAST, iv: new Uint8Array(8) }, "options.iv"],
  ])("refuses encryption options: %s", async (_name, options, argument) => {
    const error = await rejection(encryptBlsKeystore(secretKey, PASSWORD, options));
    expect(error).toBeInstanceOf(KeystoreInvalidArgumentError);
    expect(error).toMatchObject({ code: "KEYSTORE_INVALID_ARGUMENT", argument });
  });

  it("refuses a password that is not a string or bytes, or has no UTF-8 form", async () => {
    for (const password of [undefined, 42, "bad\uD800surrogate"]) {
      const error = await rejection(decryptBlsKeystore(base, password as unknown as string));
      expect(error).toMatchObject({ code: "KEYSTORE_INVALID_ARGUMENT", argument: "password" });
    }
  });

  it("never puts the password or the secret key in an error message", async () => {
    const secretHex = bytesToHex(bigIntToBytes(secretKey));
    const errors = [
      await rejection(decryptBlsKeystore(base, `${PASSWORD}!`)),
      await rejection(decryptBlsKeystore({ ...base, pubKey: formatKeystorePubKey(G1.BASE) }, PASSWORD)),
      await rejection(decryptBlsKeystore(serializeBlsKeystore(base).slice(0, 200), PASSWORD)),
    ];
    for (const error of errors) {
      const message = (error as Error).message;
      expect(message).not.toContain(PASSWORD);
      expect(message).not.toContain(secretHex);
      expect(message).not.toContain(secretKey.toString());
    }
  });
});

describe("key files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "avskit-keystore-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a 0600 file that reads back, leaving no temporary file", async () => {
    const path = join(dir, "operator.bls.key.json");
    const written = await writeBlsKeystoreFile(path, secretKey, PASSWORD, FAST);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toBe(serializeBlsKeystore(written));
    expect((await readBlsKeystoreFile(path, PASSWORD)).secretKey).toBe(secretKey);
    expect(await readdir(dir)).toEqual(["operator.bls.key.json"]);
  });

  it("refuses to overwrite an existing file and leaves it untouched", async () => {
    const path = join(dir, "existing.bls.key.json");
    await writeFile(path, "precious");
    const error = await rejection(writeBlsKeystoreFile(path, secretKey, PASSWORD, FAST));
    expect(error).toBeInstanceOf(KeystoreFileExistsError);
    expect(error).toMatchObject({ code: "KEYSTORE_FILE_EXISTS", path });
    expect(await readFile(path, "utf8")).toBe("precious");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("treats a dangling symlink as an existing file and does not follow it", async () => {
    const target = join(dir, "elsewhere.json");
    const linked = join(dir, "dangling.bls.key.json");
    await symlink(target, linked);
    expect(await rejection(writeBlsKeystoreFile(linked, secretKey, PASSWORD, FAST))).toBeInstanceOf(
      KeystoreFileExistsError,
    );
    expect(await rejection(stat(target))).toMatchObject({ code: "ENOENT" });
  });

  it("replaces a file atomically with { overwrite: true }, still 0600", async () => {
    const path = join(dir, "replace.bls.key.json");
    await writeFile(path, "old", { mode: 0o644 });
    const other = generateSecretKey();
    await writeBlsKeystoreFile(path, other, PASSWORD, { ...FAST, overwrite: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readBlsKeystoreFile(path, PASSWORD)).secretKey).toBe(other);
  });

  it("does not create missing directories and leaves nothing behind", async () => {
    const error = await rejection(
      writeBlsKeystoreFile(join(dir, "missing", "k.json"), secretKey, PASSWORD, FAST),
    );
    expect(error).toMatchObject({ code: "ENOENT" });
    expect(
      (await readdir(dir)).filter((name) => name.startsWith("missing") || name.endsWith(".tmp")),
    ).toEqual([]);
  });

  it("passes a missing file's ENOENT through, and reports a wrong password on a real file", async () => {
    expect(await rejection(readBlsKeystoreFile(join(dir, "absent.json"), PASSWORD))).toMatchObject({
      code: "ENOENT",
    });
    const path = join(dir, "wrong-password.bls.key.json");
    await writeBlsKeystoreFile(path, secretKey, PASSWORD, FAST);
    expect(await rejection(readBlsKeystoreFile(path, "nope"))).toBeInstanceOf(KeystoreWrongPasswordError);
  });
});
