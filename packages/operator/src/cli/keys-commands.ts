import { addOptions, opt, resolveConfig } from "@avskit/runtime";
import type { Command } from "commander";
import { InvalidUsageError } from "../errors.js";
import {
  type BlsKeyInfo,
  createBlsKey,
  importBlsKeyFile,
  importBlsSecretKey,
  parseBlsSecretKey,
  peekBlsKey,
  showBlsKey,
} from "../keys/bls-keys.js";
import {
  createEcdsaKey,
  type EcdsaKeyInfo,
  importEcdsaKeyFile,
  importEcdsaPrivateKey,
  parseEcdsaPrivateKey,
  peekEcdsaKey,
} from "../keys/ecdsa-keys.js";
import { assertKeyName, type KeyType, keyFilePath } from "../keys/key-files.js";
import { listKeys } from "../keys/list-keys.js";
import { readOptionalSecret, readSecret, type SecretSource } from "../keys/secrets.js";
import { formatKey, formatKeyList } from "./format.js";
import { type CliIo, toJson } from "./io.js";
import {
  ENV_PREFIX,
  insecureKdfOption,
  keysDirOption,
  keyTypeOption,
  passwordFileOption,
  SECRET_ENV,
} from "./options.js";

const createSpecs = {
  ...keysDirOption,
  ...keyTypeOption,
  ...passwordFileOption,
  ...insecureKdfOption,
} as const;
const showSpecs = { ...keysDirOption, ...keyTypeOption, ...passwordFileOption } as const;
const importSpecs = {
  ...keysDirOption,
  ...keyTypeOption,
  ...passwordFileOption,
  ...insecureKdfOption,
  fromFile: {
    flag: "--from-file",
    value: "file",
    description:
      "import this existing key file (eigensdk-go *.bls.key.json, or a geth-style ECDSA keystore), copied as is; it must open with the password",
    schema: opt.string(),
  },
  secretFile: {
    flag: "--secret-file",
    value: "file",
    description: `file holding the secret key to import (else ${SECRET_ENV.blsSecretKey} for BLS, ${SECRET_ENV.ecdsaPrivateKey} for ECDSA)`,
    schema: opt.string(),
  },
} as const;

/** `--type` is accepted for `--key-type` (the shorter name people reach for first). */
function addTypeAlias(command: Command): void {
  command.option("--type <type>", "same as --key-type");
  command.hook("preAction", (self) => {
    const alias = self.getOptionValue("type") as string | undefined;
    if (alias === undefined) return;
    if (self.getOptionValue("keyType") !== undefined && self.getOptionValue("keyType") !== alias) {
      throw new InvalidUsageError("--type and --key-type disagree: give one");
    }
    self.setOptionValue("keyType", alias);
  });
}

function passwordSource(type: KeyType, file: string | undefined, stdin: boolean): SecretSource {
  return {
    what: `the ${type.toUpperCase()} key password`,
    envVar: type === "bls" ? SECRET_ENV.blsKeyPassword : SECRET_ENV.ecdsaKeyPassword,
    file,
    fileFlag: "--password-file",
    stdin,
    stdinFlag: "--password-stdin",
  };
}

function print(io: CliIo, json: boolean, info: BlsKeyInfo | EcdsaKeyInfo, headline: string): void {
  io.out(json ? toJson(info) : `${headline}\n${formatKey(info)}`);
}

const SECRETS_HELP = `
Secrets never go in flags (shell history, ps). Passwords come from --password-file, from
standard input with --password-stdin, or from ${SECRET_ENV.blsKeyPassword} (BLS) /
${SECRET_ENV.ecdsaKeyPassword} (ECDSA).`;

export function addKeysCommands(program: Command, io: CliIo): void {
  const keys = program
    .command("keys")
    .description("create, import, list and show the operator's keys (BLS and ECDSA)")
    .addHelpText("after", SECRETS_HELP);

  const create = keys
    .command("create")
    .description("generate a key into <keys-dir>/<name>.<type>.key.json (eigensdk-go / geth keystore format)")
    .argument("<name>", "key name: letters, digits, '.', '_' or '-'")
    .option("--password-stdin", "read the password from standard input")
    .option("--json", "print JSON");
  addTypeAlias(create);
  addOptions(create, createSpecs, ENV_PREFIX).addHelpText("after", SECRETS_HELP);
  create.action(async (name: string, flags: { passwordStdin?: boolean; json?: boolean }) => {
    const config = resolveConfig(create, createSpecs, ENV_PREFIX, io.env);
    assertKeyName(name);
    const password = await readSecret(
      passwordSource(config.keyType, config.passwordFile, !!flags.passwordStdin),
      io,
    );
    const options = { keysDir: config.keysDir, name, password, insecureKdf: config.insecureKdf };
    const info = config.keyType === "bls" ? await createBlsKey(options) : await createEcdsaKey(options);
    print(io, !!flags.json, info, `created ${config.keyType.toUpperCase()} key "${name}"`);
  });

  const imports = keys
    .command("import")
    .description("import a secret key, or an existing key file, under a new name")
    .argument("<name>", "name for the imported key")
    .option("--password-stdin", "read the password from standard input")
    .option("--secret-stdin", "read the secret key to import from standard input")
    .option("--json", "print JSON");
  addTypeAlias(imports);
  addOptions(imports, importSpecs, ENV_PREFIX).addHelpText(
    "after",
    `${SECRETS_HELP}
The secret key (BLS: 0x-hex or decimal; ECDSA: 64 hex digits) comes from --secret-file,
--secret-stdin, or ${SECRET_ENV.blsSecretKey} / ${SECRET_ENV.ecdsaPrivateKey}.`,
  );
  imports.action(
    async (name: string, flags: { passwordStdin?: boolean; secretStdin?: boolean; json?: boolean }) => {
      const config = resolveConfig(imports, importSpecs, ENV_PREFIX, io.env);
      assertKeyName(name);
      const type = config.keyType;
      if (flags.passwordStdin && flags.secretStdin) {
        throw new InvalidUsageError("--password-stdin and --secret-stdin cannot both read standard input");
      }
      const password = await readSecret(passwordSource(type, config.passwordFile, !!flags.passwordStdin), io);
      let info: BlsKeyInfo | EcdsaKeyInfo;
      if (config.fromFile !== undefined) {
        if (config.secretFile !== undefined || flags.secretStdin) {
          throw new InvalidUsageError("--from-file imports a key file: do not also give a secret key");
        }
        const options = { keysDir: config.keysDir, name, sourcePath: config.fromFile, password };
        info = type === "bls" ? await importBlsKeyFile(options) : await importEcdsaKeyFile(options);
      } else {
        const secret = await readOptionalSecret(
          {
            what: `the ${type.toUpperCase()} secret key`,
            envVar: type === "bls" ? SECRET_ENV.blsSecretKey : SECRET_ENV.ecdsaPrivateKey,
            file: config.secretFile,
            fileFlag: "--secret-file",
            stdin: !!flags.secretStdin,
            stdinFlag: "--secret-stdin",
          },
          io,
        );
        if (secret === undefined) {
          throw new InvalidUsageError(
            `nothing to import: give --from-file, --secret-file, --secret-stdin or set ${
              type === "bls" ? SECRET_ENV.blsSecretKey : SECRET_ENV.ecdsaPrivateKey
            }`,
          );
        }
        const options = { keysDir: config.keysDir, name, password, insecureKdf: config.insecureKdf };
        info =
          type === "bls"
            ? await importBlsSecretKey({ ...options, secretKey: parseBlsSecretKey(secret) })
            : await importEcdsaPrivateKey({ ...options, privateKey: parseEcdsaPrivateKey(secret) });
      }
      print(io, !!flags.json, info, `imported ${type.toUpperCase()} key "${name}"`);
    },
  );

  const list = keys
    .command("list")
    .description("list the keys with their public keys, operatorIds and addresses (no password needed)")
    .option("--json", "print JSON");
  addOptions(list, keysDirOption, ENV_PREFIX);
  list.action(async (flags: { json?: boolean }) => {
    const config = resolveConfig(list, keysDirOption, ENV_PREFIX, io.env);
    const entries = await listKeys(config.keysDir);
    io.out(flags.json ? toJson(entries) : formatKeyList(entries, config.keysDir));
  });

  const show = keys
    .command("show")
    .description(
      "show one key: BLS G1 and G2 public keys and operatorId (G2 needs the password), or ECDSA address",
    )
    .argument("<name>", "key name")
    .option("--password-stdin", "read the password from standard input")
    .option("--json", "print JSON");
  addTypeAlias(show);
  addOptions(show, showSpecs, ENV_PREFIX).addHelpText("after", SECRETS_HELP);
  show.action(async (name: string, flags: { passwordStdin?: boolean; json?: boolean }) => {
    const config = resolveConfig(show, showSpecs, ENV_PREFIX, io.env);
    const path = keyFilePath(config.keysDir, name, config.keyType);
    if (config.keyType === "ecdsa") {
      print(io, !!flags.json, await peekEcdsaKey(name, path), `ECDSA key "${name}"`);
      return;
    }
    // Fail on a missing or corrupt file before asking for a password.
    await peekBlsKey(name, path);
    const password = await readSecret(passwordSource("bls", config.passwordFile, !!flags.passwordStdin), io);
    print(io, !!flags.json, await showBlsKey(name, path, password), `BLS key "${name}"`);
  });
}
