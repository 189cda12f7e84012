export {
  type AggregateFirstResult,
  verifyAggregateFirst,
  verifyAggregateFirstOnPoint,
  type WeightedSignedItem,
} from "./aggregate-first.js";
export {
  type BatchVerifyOptions,
  type BatchVerifyResult,
  COEFFICIENT_BITS,
  InvalidBatchItemError,
  type RandomSource,
  RandomSourceError,
  type SignedItem,
  verifyBatch,
  verifyBatchOnPoint,
  verifyIndividually,
} from "./batch-verify.js";
export { type BytesLike, type Hex, toBytes, toHex } from "./bytes.js";
export { CURVE_ORDER, FIELD_MODULUS, G1, type G1Point, G2, type G2Point } from "./curve.js";
export {
  g1FromBytes,
  g1FromSolidity,
  g1ToBytes,
  g1ToSolidity,
  g2FromBytes,
  g2FromSolidity,
  g2ToBytes,
  g2ToSolidity,
  type SolidityG1,
  type SolidityG2,
} from "./encoding.js";
export {
  BlsError,
  InvalidDigestError,
  InvalidPointError,
  type InvalidPointReason,
  InvalidSecretKeyError,
} from "./errors.js";
export { type HashToG1Hint, hashToG1, hashToG1Hint, hashToG1Tries, NO_HASH_HINT } from "./hash-to-g1.js";
export {
  assertSecretKey,
  type BlsKeyPair,
  generateKeyPair,
  generateSecretKey,
  keyPairFromSecretKey,
  operatorIdFromPublicKey,
  publicKeyG1,
  publicKeyG2,
  secretKeyFromBytes,
} from "./keys.js";
export {
  type BlsKeystoreEncryptOptions,
  type BlsKeystoreJson,
  blsKeystorePublicKey,
  decryptBlsKeystore,
  encryptBlsKeystore,
  serializeBlsKeystore,
} from "./keystore.js";
export {
  decryptSecretStorage,
  encryptSecretStorage,
  type KeystorePassword,
  type ScryptKdfParams,
  type SecretStorageEncryptOptions,
  STANDARD_SCRYPT_PARAMS,
  type Web3SecretStorageCrypto,
} from "./keystore-crypto.js";
export {
  KeystoreCorruptError,
  KeystoreError,
  KeystoreFileExistsError,
  KeystoreInvalidArgumentError,
  KeystorePubKeyMismatchError,
  KeystoreUnsupportedError,
  KeystoreWrongPasswordError,
} from "./keystore-errors.js";
export {
  readBlsKeystoreFile,
  type WriteBlsKeystoreFileOptions,
  writeBlsKeystoreFile,
} from "./keystore-file.js";
export { formatKeystorePubKey, parseKeystorePubKey } from "./keystore-pubkey.js";
export {
  buildPubkeyRegistration,
  type PubkeyRegistrationParams,
  verifyPubkeyRegistration,
} from "./registration.js";
export {
  aggregateG1,
  aggregateG2,
  aggregateSignatures,
  signDigest,
  signPoint,
  verifyPointSignature,
  verifySignature,
} from "./signature.js";
