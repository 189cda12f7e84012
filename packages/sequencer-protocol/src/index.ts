export {
  DEFAULT_PEER_WINDOW_MS,
  PEER_HEADERS,
  PEER_TAG,
  type PeerCheck,
  type PeerRejection,
  PeerSigner,
  PeerVerifier,
  peerRequestDigest,
} from "./auth.js";
export {
  assertCertificate,
  buildCertificate,
  type Certificate,
  type CertificateCheck,
  certificateHash,
  checkCertificate,
  compareLocks,
  signVote,
  VOTE_DOMAINS,
  type VoteKind,
  type VotePoint,
  verifyVoteShare,
  voteDigest,
} from "./certificate.js";
export {
  type ChainNetworkParams,
  type ChainSnapshot,
  loadChainNetwork,
  openRegistryNetworks,
  type RegistryLocation,
  RegistryNetworks,
  type RegistryNetworksParams,
} from "./chain-network.js";
export { addressOfPrivateKey, recoverRawDigest, signRawDigest } from "./ecdsa.js";
export {
  CertificateError,
  type CertificateRejection,
  NetworkError,
  NetworkFileError,
  SequencerProtocolError,
  WireFormatError,
} from "./errors.js";
export { chainHashOf, entryHash, GENESIS_TAG, genesisHash, isAppName, nextChainHash } from "./log.js";
export {
  createNetwork,
  DEFAULT_THRESHOLD_PERCENT,
  hasQuorum,
  hasQuorumStake,
  leaderOf,
  type Member,
  memberById,
  type Network,
  type Snapshot,
  STATIC_TAG,
  snapshotIdOf,
  stakeOf,
} from "./network.js";
export { checkFinalizedPage, type PageRejection } from "./page.js";
export { type G1Json, type G2Json, g1FromJson, g1ToJson, g2FromJson, g2ToJson } from "./points.js";
export {
  checkViewChangeVote,
  isEquivocation,
  justifyNewView,
  locksDigest,
  type NetworkLookup,
  type NewViewJustification,
  onlyNetwork,
  signTipStatement,
  signViewChangeVote,
  TIP_TAG,
  type TipStatement,
  tipStatementDigest,
  VIEW_CHANGE_TAG,
  type ViewChangeVote,
  verifyTipStatement,
  verifyViewChangeVote,
  viewChangeDigest,
} from "./statements.js";
export {
  formatStaticNetwork,
  POP_TAG,
  parseStaticNetwork,
  popDigest,
  type StaticMemberJson,
  type StaticNetworkFileJson,
  staticMember,
} from "./static-network.js";
export {
  type ChainNetworkLoader,
  checkTransition,
  networkOfDescriptor,
  type TransitionCheck,
} from "./transition.js";
export * from "./wire.js";
