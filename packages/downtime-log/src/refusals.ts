/**
 * Why a replica refused a batch of the log, as data: every replica records the same code for the
 * same batch (the checks read only the log, the network and the configuration, except
 * FUTURE_TIMESTAMP, see below), so refusals are part of the database digest.
 */
export const REFUSALS = {
  NOT_JSON: "the batch is not UTF-8 JSON",
  MALFORMED: "the JSON is not a downtime event",
  SNAPSHOT_MISMATCH: "the event counts stake in another network than this replica's",
  REFERENCE_BLOCK_NOT_ROUNDED: "the reference block is not a multiple of --network-epoch-blocks",
  REFERENCE_BLOCK_TOO_NEW: "the reference block was not mined by the observation time",
  REFERENCE_BLOCK_TOO_OLD:
    "the reference block was mined more than --max-reference-age before the observation",
  NOT_A_MEMBER: "the subject is not an operator of the network",
  WRONG_EPOCH: "the epoch is not the one the observation time falls in",
  UNKNOWN_NON_SIGNER: "a non-signer is not a member",
  UNSORTED_NON_SIGNERS: "the non-signers are not strictly ascending",
  BELOW_THRESHOLD: "the signers hold less stake than the threshold",
  ALREADY_APPLIED: "this very statement was applied before (a replay)",
  NOT_AFTER_PREVIOUS: "not later than the subject's previous applied event",
  STALE_TIMESTAMP: "observed more than the clock skew before the newest applied event",
  FUTURE_TIMESTAMP:
    "observed more than the clock skew after this replica's clock (honest confirmers never sign such a statement)",
  NOT_A_CHANGE: "the subject is already in that state",
  BAD_SIGNATURE: "the aggregate signature does not verify for the signers' keys",
} as const;

export type RefusalReason = keyof typeof REFUSALS;

/** Why a confirmer declined to sign, as data (the asker logs and counts them). */
export const DECLINES = {
  NOT_A_MEMBER: "the subject is not an operator of the network",
  BAD_SNAPSHOT: "the statement's network is not one I count stake in (see the message)",
  NOT_MY_NETWORK: "I am not an operator of the statement's network",
  CHAIN_UNREADABLE: "I cannot read the registries right now",
  SUBJECT_IS_ME: "an operator does not confirm statements about itself",
  WRONG_EPOCH: "the epoch is not the one the observation time falls in",
  CLOCK_SKEW: "the observation time is too far from my clock",
  DISAGREE: "my own probe of the subject, just now, does not show that state",
} as const;

export type DeclineReason = keyof typeof DECLINES;
