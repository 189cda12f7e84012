import {
  ResponseRejectedError,
  type SignatureCoordinates,
  type TaskResponse,
  taskResponseDigest,
} from "@avskit/aggregator-api";
import { G1, type G1Point, G2, type G2Point, g1ToSolidity, g2ToSolidity } from "@avskit/bls";
import type { Hex } from "viem";
import type { OperatorRecord, OperatorState } from "./operator-state.js";
import type { TaskInfo } from "./task.js";

/**
 * collecting → threshold-reached (collection window) → submitting → responded,
 * or → expired at any point before submitting; submitting → failed if the chain refuses.
 */
export type TaskStatus =
  | "collecting"
  | "threshold-reached"
  | "submitting"
  | "responded"
  | "expired"
  | "failed";

/** An operator of the task: in at least one of its quorums at the reference block. */
export interface TaskMember {
  readonly record: OperatorRecord;
  /** How many of the task's quorums it is in: its key and signature count that many times on-chain. */
  readonly multiplicity: number;
}

/**
 * What admission decided without looking at the signature as a point: a new response to verify,
 * or exactly the response already counted for this operator (a retry: a success, nothing to do).
 */
export type Admission =
  | { readonly kind: "new"; readonly member: TaskMember; readonly digest: Hex }
  | { readonly kind: "duplicate"; readonly digest: Hex };

/** What the task holds of one operator's counted answer. */
export interface Answer {
  readonly digest: Hex;
  /** The signature's coordinates as sent (`signatureKey`); undefined once found invalid and discarded. */
  readonly signature: string | undefined;
}

/** A signature's coordinates as one comparable string (no curve arithmetic). */
export function signatureKey(signature: SignatureCoordinates): string {
  return `${signature.X.toString(16)}:${signature.Y.toString(16)}`;
}

/** Whether `answer` is this very response, signature and all. */
export function sameAnswer(
  answer: Answer | undefined,
  digest: Hex,
  signature: SignatureCoordinates,
): boolean {
  return (
    answer?.signature !== undefined &&
    answer.digest === digest &&
    answer.signature === signatureKey(signature)
  );
}

/** What `respondToTask` needs, for the digest that met every threshold. */
export interface Submission {
  readonly taskIndex: number;
  readonly digest: Hex;
  readonly response: TaskResponse;
  /** Signers, ascending by operatorId. */
  readonly signerIds: readonly Hex[];
  /** Task members that did not sign this digest, ascending by operatorId (as the checker requires). */
  readonly nonSigners: readonly OperatorRecord[];
  /** Σ k_i·sigma_i over signers, k_i their multiplicity. */
  readonly sigma: G1Point;
  /** Σ k_i·pkG2_i over signers. */
  readonly apkG2: G2Point;
  readonly signedStake: ReadonlyMap<number, bigint>;
  readonly totalStake: ReadonlyMap<number, bigint>;
  /** Per task quorum (in order), the sum of its operators' G1 keys at the reference block. */
  readonly quorumApks: readonly G1Point[];
}

/** What `recordSet` did with one member of the set. */
export type SetMemberResult =
  | { readonly kind: "counted" }
  /** Exactly this response was counted already for the operator: a success, nothing added. */
  | { readonly kind: "duplicate" }
  | { readonly kind: "refused"; readonly error: ResponseRejectedError }
  /** Admissible, but the set was not counted whole: verify it on its own, then `record` it. */
  | { readonly kind: "recheck" };

export interface SetRecording {
  readonly results: ReadonlyMap<Hex, SetMemberResult>;
  /** The set made its digest the first to meet every threshold. */
  readonly reached: boolean;
  /** The set is the first counted for its digest. */
  readonly fresh: boolean;
}

interface CountedSignature {
  readonly member: TaskMember;
  readonly signature: G1Point;
}

/** Signatures for one response digest. Every field is this group's own: nothing is shared. */
class DigestGroup {
  readonly signers = new Map<Hex, CountedSignature>();
  readonly signedStake = new Map<number, bigint>();
  sigma: G1Point = G1.ZERO;
  apkG2: G2Point = G2.ZERO;
  constructor(
    readonly digest: Hex,
    readonly response: TaskResponse,
    quorums: readonly number[],
  ) {
    for (const quorum of quorums) this.signedStake.set(quorum, 0n);
  }

  add(member: TaskMember, signature: G1Point): void {
    const k = member.multiplicity;
    this.signers.set(member.record.operatorId, { member, signature });
    this.sigma = this.sigma.add(times(signature, k));
    this.apkG2 = this.apkG2.add(times(member.record.pubkeyG2, k));
    this.#addStake(member, 1n);
  }

  /**
   * Adds a verified set whose weighted sums (Σ k_i·σ_i, Σ k_i·pk_i, computed by the check) are
   * given: two point additions for the set instead of two per member. The members are still
   * kept one by one, so `remove` can take any of them out again.
   */
  addSet(
    members: readonly { readonly member: TaskMember; readonly signature: G1Point }[],
    aggregate: { readonly publicKey: G2Point; readonly signature: G1Point },
  ): void {
    for (const { member, signature } of members) {
      this.signers.set(member.record.operatorId, { member, signature });
      this.#addStake(member, 1n);
    }
    this.sigma = this.sigma.add(aggregate.signature);
    this.apkG2 = this.apkG2.add(aggregate.publicKey);
  }

  remove(operatorId: Hex): void {
    const counted = this.signers.get(operatorId);
    if (counted === undefined) return;
    const k = counted.member.multiplicity;
    this.signers.delete(operatorId);
    this.sigma = this.sigma.subtract(times(counted.signature, k));
    this.apkG2 = this.apkG2.subtract(times(counted.member.record.pubkeyG2, k));
    this.#addStake(counted.member, -1n);
  }

  #addStake(member: TaskMember, sign: 1n | -1n): void {
    for (const [quorum, stake] of member.record.stakes) {
      const signed = this.signedStake.get(quorum);
      if (signed !== undefined) this.signedStake.set(quorum, signed + sign * stake);
    }
  }
}

function times<P extends { add(other: P): P }>(point: P, k: number): P {
  let sum = point;
  for (let i = 1; i < k; i++) sum = sum.add(point);
  return sum;
}

/**
 * The aggregation state of one task, free of I/O: which operator answered what, the running
 * aggregate and signed stake per digest, and the threshold decision. A rejected call leaves it
 * exactly as it was; an accepted one changes only its own digest group.
 */
export class TaskAggregation {
  readonly info: TaskInfo;
  readonly #members = new Map<Hex, TaskMember>();
  readonly #registered: ReadonlySet<Hex>;
  readonly #totals = new Map<number, bigint>();
  readonly #quorumApks: G1Point[];
  readonly #answered = new Map<Hex, Answer>();
  readonly #groups = new Map<Hex, DigestGroup>();
  #status: TaskStatus = "collecting";
  #winner: DigestGroup | undefined;

  /**
   * @param state the operator set at the task's reference block; it must cover the task's
   *   quorums, and may cover more (then operators only in other quorums are told apart from
   *   unknown ones).
   */
  constructor(info: TaskInfo, state: OperatorState) {
    this.info = info;
    const taskQuorums = new Set(info.quorumNumbers);
    for (const quorum of info.quorumNumbers) {
      const total = state.totalStakes.get(quorum);
      if (total === undefined)
        throw new Error(`operator state at block ${state.blockNumber} lacks quorum ${quorum}`);
      this.#totals.set(quorum, total);
    }
    for (const record of state.operators.values()) {
      let multiplicity = 0;
      for (const quorum of record.stakes.keys()) if (taskQuorums.has(quorum)) multiplicity++;
      if (multiplicity > 0) this.#members.set(record.operatorId, { record, multiplicity });
    }
    this.#quorumApks = info.quorumNumbers.map((quorum) => {
      let apk = G1.ZERO;
      for (const { record } of this.#members.values())
        if (record.stakes.has(quorum)) apk = apk.add(record.pubkeyG1);
      return apk;
    });
    this.#registered = new Set([...state.operators.keys(), ...(state.otherRegistered ?? [])]);
  }

  get status(): TaskStatus {
    return this.#status;
  }

  get taskIndex(): number {
    return this.info.taskIndex;
  }

  /** The digest that met every threshold first, once one has. */
  get winningDigest(): Hex | undefined {
    return this.#winner?.digest;
  }

  /** Whether some verified signature was already counted for this digest. */
  hasDigest(digest: Hex): boolean {
    return this.#groups.has(digest);
  }

  get winningSignerCount(): number {
    return this.#winner?.signers.size ?? 0;
  }

  get memberCount(): number {
    return this.#members.size;
  }

  /** Throws unless the task still takes responses. */
  assertOpen(): void {
    switch (this.#status) {
      case "collecting":
      case "threshold-reached":
        return;
      case "expired":
        throw new ResponseRejectedError(
          "TASK_EXPIRED",
          `task ${this.taskIndex}'s response window closed after block ${this.info.lastResponseBlock}`,
        );
      case "failed":
        throw new ResponseRejectedError(
          "TASK_EXPIRED",
          `task ${this.taskIndex} can no longer be responded to`,
        );
      default:
        throw new ResponseRejectedError(
          "TASK_ALREADY_RESPONDED",
          `task ${this.taskIndex} has been responded to; no more signatures are needed`,
        );
    }
  }

  /**
   * Every check that does not need the signature verified: the very response already counted
   * (a duplicate, whatever the task's state now), else task open, answer for this task,
   * operator known and in the task's quorums, no other earlier answer from it. Changes nothing.
   */
  admit(operatorId: Hex, response: TaskResponse, signature?: SignatureCoordinates): Admission {
    const digest = taskResponseDigest(response);
    if (signature !== undefined && sameAnswer(this.#answered.get(operatorId), digest, signature)) {
      return { kind: "duplicate", digest };
    }
    this.assertOpen();
    if (response.referenceTaskIndex !== this.taskIndex) {
      throw new ResponseRejectedError(
        "TASK_MISMATCH",
        `response.referenceTaskIndex is ${response.referenceTaskIndex} but the request is for task ${this.taskIndex}`,
      );
    }
    const member = this.#members.get(operatorId);
    if (member === undefined) {
      if (this.#registered.has(operatorId)) {
        throw new ResponseRejectedError(
          "OPERATOR_NOT_IN_QUORUMS",
          `operator ${operatorId} is in none of task ${this.taskIndex}'s quorums [${this.info.quorumNumbers.join(", ")}] at block ${this.info.referenceBlock}`,
        );
      }
      throw new ResponseRejectedError(
        "OPERATOR_UNKNOWN",
        `operator ${operatorId} is not registered at task ${this.taskIndex}'s reference block ${this.info.referenceBlock}`,
      );
    }
    if (this.#answered.has(operatorId)) {
      throw new ResponseRejectedError(
        "DUPLICATE_RESPONSE",
        `operator ${operatorId} has already answered task ${this.taskIndex} with another response`,
      );
    }
    return { kind: "new", member, digest };
  }

  /** Every counted answer by operator, for recognising retries after the task is done. */
  answers(): ReadonlyMap<Hex, Answer> {
    return new Map(this.#answered);
  }

  /**
   * Counts a signature that has been verified against `admitted.member`'s key and digest.
   * Re-runs the admission checks first (time has passed while it was verified), so a
   * duplicate from the same batch or a task closed meanwhile is refused without a change.
   * Exactly this response counted already is left as it is. Returns true when this signature
   * made its digest the first to meet every threshold.
   */
  record(operatorId: Hex, response: TaskResponse, verifiedSignature: G1Point): boolean {
    const coordinates = g1ToSolidity(verifiedSignature);
    const admission = this.admit(operatorId, response, coordinates);
    if (admission.kind === "duplicate") return false;
    const { member, digest } = admission;
    let group = this.#groups.get(digest);
    if (group === undefined) {
      group = new DigestGroup(digest, response, this.info.quorumNumbers);
      this.#groups.set(digest, group);
    }
    group.add(member, verifiedSignature);
    this.#answered.set(operatorId, { digest, signature: signatureKey(coordinates) });
    if (this.#status === "collecting" && this.#meetsThresholds(group)) {
      this.#status = "threshold-reached";
      this.#winner = group;
      return true;
    }
    return false;
  }

  /**
   * Counts a set of signatures over one response that verified only AS A SET (their weighted
   * plain aggregate, weights = multiplicities; see @avskit/bls aggregate-first.ts): all of them,
   * in one step, or none. All or none because a member may be invalid on its own with an error
   * that another member's cancels: any proper subset of the set could put an uncancelled error
   * into the aggregate. Each member passes the same admission checks as in `record`; if every one
   * is admitted, all are added (with the multiplicities the check used) and the thresholds are
   * checked once, after the whole set is in, so a threshold met halfway never cuts the set. If
   * any one is not (its operator answered meanwhile, a resend of one already counted, the task
   * closed), nothing is counted: the refused members get their refusal, and every admitted one
   * comes back as `recheck`, to be verified on its own before it may be counted with `record`.
   * Changes nothing unless it counts the whole set.
   */
  recordSet(
    response: TaskResponse,
    signatures: readonly { readonly operatorId: Hex; readonly signature: G1Point; readonly weight: number }[],
    aggregate: { readonly publicKey: G2Point; readonly signature: G1Point },
  ): SetRecording {
    const results = new Map<Hex, SetMemberResult>();
    const admitted: { member: TaskMember; signature: G1Point; coordinates: SignatureCoordinates }[] = [];
    let digest: Hex | undefined;
    for (const { operatorId, signature, weight } of signatures) {
      if (results.has(operatorId))
        throw new Error(`operator ${operatorId} appears twice in one verified set`);
      const coordinates = g1ToSolidity(signature);
      try {
        const admission = this.admit(operatorId, response, coordinates);
        digest = admission.digest;
        if (admission.kind === "duplicate") {
          results.set(operatorId, { kind: "duplicate" });
        } else {
          // The sums added below were checked with these weights: they must be the task's.
          if (admission.member.multiplicity !== weight)
            throw new Error(
              `operator ${operatorId} was checked with weight ${weight}, not ${admission.member.multiplicity}`,
            );
          admitted.push({ member: admission.member, signature, coordinates });
          results.set(operatorId, { kind: "counted" });
        }
      } catch (error) {
        if (!(error instanceof ResponseRejectedError)) throw error;
        results.set(operatorId, { kind: "refused", error });
      }
    }
    if (admitted.length !== signatures.length || digest === undefined) {
      for (const { member } of admitted) results.set(member.record.operatorId, { kind: "recheck" });
      return { results, reached: false, fresh: false };
    }
    let group = this.#groups.get(digest);
    const fresh = group === undefined;
    if (group === undefined) {
      group = new DigestGroup(digest, response, this.info.quorumNumbers);
      this.#groups.set(digest, group);
    }
    group.addSet(admitted, aggregate);
    for (const { member, coordinates } of admitted)
      this.#answered.set(member.record.operatorId, { digest, signature: signatureKey(coordinates) });
    let reached = false;
    if (this.#status === "collecting" && this.#meetsThresholds(group)) {
      this.#status = "threshold-reached";
      this.#winner = group;
      reached = true;
    }
    return { results, reached, fresh };
  }

  #meetsThresholds(group: DigestGroup): boolean {
    if (group.signers.size === 0) return false;
    const threshold = BigInt(this.info.thresholdPercentage);
    for (const quorum of this.info.quorumNumbers) {
      const signed = group.signedStake.get(quorum) ?? 0n;
      const total = this.#totals.get(quorum) ?? 0n;
      // As the task manager: an empty quorum cannot vouch for anything.
      if (total === 0n || signed * 100n < total * threshold) return false;
    }
    return true;
  }

  /**
   * Ends collection and returns the winning digest's aggregate; callable once, after the
   * threshold was reached. Signatures arriving later are refused as already responded.
   */
  beginSubmission(): Submission {
    if (this.#status !== "threshold-reached" || this.#winner === undefined) {
      throw new Error(`task ${this.taskIndex}: cannot submit in status ${this.#status}`);
    }
    this.#status = "submitting";
    const group = this.#winner;
    const byId = (a: Hex, b: Hex) => (a < b ? -1 : a > b ? 1 : 0);
    const nonSigners = [...this.#members.values()]
      .filter((m) => !group.signers.has(m.record.operatorId))
      .map((m) => m.record)
      .sort((a, b) => byId(a.operatorId, b.operatorId));
    return {
      taskIndex: this.taskIndex,
      digest: group.digest,
      response: group.response,
      signerIds: [...group.signers.keys()].sort(byId),
      nonSigners,
      sigma: group.sigma,
      apkG2: group.apkG2,
      signedStake: new Map(group.signedStake),
      totalStake: new Map(this.#totals),
      quorumApks: [...this.#quorumApks],
    };
  }

  /**
   * The winning group's individual signatures, for the slow path taken only if the
   * pre-submission check of the aggregate fails.
   */
  winningSignatures(): { operatorId: Hex; pubkeyG2: G2Point; signature: G1Point }[] {
    const group = this.#winner;
    if (group === undefined) return [];
    return [...group.signers.values()].map(({ member, signature }) => ({
      operatorId: member.record.operatorId,
      pubkeyG2: member.record.pubkeyG2,
      signature,
    }));
  }

  /**
   * Takes signatures found invalid out of the winning group (they stay counted as answered,
   * so they cannot be resent) and reopens collection if the thresholds no longer hold.
   * Only reached if verification let an invalid signature through, which it should never do.
   */
  discardFromWinner(operatorIds: readonly Hex[]): void {
    const group = this.#winner;
    if (group === undefined || this.#status !== "submitting") {
      throw new Error(`task ${this.taskIndex}: nothing to discard in status ${this.#status}`);
    }
    for (const id of operatorIds) {
      group.remove(id);
      // Still answered (it cannot answer again), but a resend of the bad signature is no success.
      const answer = this.#answered.get(id);
      if (answer !== undefined) this.#answered.set(id, { digest: answer.digest, signature: undefined });
    }
    if (this.#meetsThresholds(group)) {
      this.#status = "threshold-reached";
    } else {
      this.#status = "collecting";
      this.#winner = undefined;
    }
  }

  markResponded(): void {
    this.#status = "responded";
  }

  /** True when it moved to expired; a task being submitted or done is left alone. */
  expire(): boolean {
    if (this.#status !== "collecting" && this.#status !== "threshold-reached") return false;
    this.#status = "expired";
    return true;
  }

  markFailed(): void {
    this.#status = "failed";
  }

  /** A plain-data picture of everything a request could change, for logs and tests. */
  snapshot(): TaskSnapshot {
    return {
      taskIndex: this.taskIndex,
      status: this.#status,
      winningDigest: this.#winner?.digest ?? null,
      answered: Object.fromEntries(
        [...this.#answered]
          .map(([id, answer]) => [id, answer.digest] as const)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      groups: [...this.#groups.values()].map((group) => ({
        digest: group.digest,
        response: {
          referenceTaskIndex: group.response.referenceTaskIndex,
          sum: group.response.sum.toString(),
        },
        signers: Object.fromEntries([...group.signers].map(([id, c]) => [id, c.member.multiplicity])),
        signedStake: Object.fromEntries([...group.signedStake].map(([q, s]) => [q, s.toString()])),
        sigma: solidityString(g1ToSolidity(group.sigma)),
        apkG2: solidityString(g2ToSolidity(group.apkG2)),
      })),
      totalStake: Object.fromEntries([...this.#totals].map(([q, s]) => [q, s.toString()])),
    };
  }
}

export interface TaskSnapshot {
  taskIndex: number;
  status: TaskStatus;
  winningDigest: Hex | null;
  answered: Record<string, Hex>;
  groups: {
    digest: Hex;
    response: { referenceTaskIndex: number; sum: string };
    signers: Record<string, number>;
    signedStake: Record<string, string>;
    sigma: unknown;
    apkG2: unknown;
  }[];
  totalStake: Record<string, string>;
}

function solidityString(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
