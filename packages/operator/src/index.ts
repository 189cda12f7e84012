export { type CliIo, toJson } from "./cli/io.js";
export { buildProgram, EXIT, runCli } from "./cli/program.js";
export * from "./errors.js";
export {
  type BlsKeyInfo,
  createBlsKey,
  importBlsKeyFile,
  importBlsSecretKey,
  loadBlsKey,
  type NewKeyOptions,
  parseBlsSecretKey,
  peekBlsKey,
  showBlsKey,
} from "./keys/bls-keys.js";
export {
  createEcdsaKey,
  type EcdsaKeyInfo,
  importEcdsaKeyFile,
  importEcdsaPrivateKey,
  loadEcdsaKey,
  type NewEcdsaKeyOptions,
  parseEcdsaPrivateKey,
  peekEcdsaKey,
} from "./keys/ecdsa-keys.js";
export {
  defaultKeysDir,
  INSECURE_SCRYPT,
  KEY_FILE_SUFFIX,
  type KeyType,
  keyFilePath,
  resolveKeyFile,
} from "./keys/key-files.js";
export { isUnreadable, type KeyListEntry, listKeys, type UnreadableKey } from "./keys/list-keys.js";
