import type { G1Point } from "@avskit/bls";
import type { Logger } from "@avskit/runtime";
import type { SequencerClient } from "@avskit/sequencer-client";
import {
  g1FromJson,
  g1ToJson,
  type Member,
  memberById,
  type Network,
  type PeerSigner,
} from "@avskit/sequencer-protocol";
import type { Hex } from "viem";
import { z } from "zod";
import type { DowntimeDb } from "./db.js";
import { type EpochConfig, epochOf } from "./epochs.js";
import type { DowntimeMetrics } from "./metrics.js";
import { type NetworkSource, type Resolution, referenceBlockOf } from "./networks.js";
import { probe, SuspicionTracker } from "./probe.js";
import { DECLINES, type DeclineReason } from "./refusals.js";
import {
  buildEvent,
  type DowntimeEvent,
  type Liveness,
  type Statement,
  signStatement,
  verifyStatementShare,
} from "./statement.js";

export const CONFIRM_PATH = "/v1/peer/confirm";

export interface WatcherSettings {
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  /** Consecutive disagreeing probes before a change is suspected. */
  readonly suspectAfter: number;
  /** Longest a round of confirmation requests waits for replies. */
  readonly confirmTimeoutMs: number;
  /** A change posted and not yet in the log is proposed again after this long. */
  readonly resubmitAfterMs: number;
  readonly maxSkewMs: number;
  readonly epochs: EpochConfig;
}

export interface WatcherDeps {
  /** The operator set to watch (its current one) and those a statement names. */
  readonly networks: NetworkSource;
  /** This operator's id. */
  readonly self: Hex;
  readonly secretKey: bigint;
  readonly peerSigner: PeerSigner;
  /** operatorId → base URL of that operator's downtime-log service. */
  readonly peers: ReadonlyMap<Hex, string>;
  readonly db: DowntimeDb;
  readonly client: SequencerClient;
  readonly metrics: DowntimeMetrics;
  readonly logger: Logger;
  readonly settings: WatcherSettings;
  readonly now?: () => number;
}

export type ConfirmReply =
  | { readonly confirmed: true; readonly signature: { X: string; Y: string } }
  | { readonly confirmed: false; readonly reason: DeclineReason; readonly message: string };

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/)
  .transform((s) => s.toLowerCase() as Hex);

const requestSchema = z.strictObject({
  subject: bytes32,
  state: z.enum(["up", "down"]),
  observedAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  snapshotId: bytes32,
  referenceBlock: z.number().int().min(0).max(0xffff_ffff).optional(),
});

/** A confirmation request: the statement, and the operator set (snapshot) its stake is counted in. */
export interface ConfirmRequest extends Statement {
  readonly snapshotId: Hex;
  readonly referenceBlock?: number | undefined;
}

export function parseConfirmRequest(json: unknown): ConfirmRequest | undefined {
  const parsed = requestSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Watches every other operator's node, and when a change is suspected gathers signed
 * confirmations from the others until their stake reaches the threshold, then posts the event.
 * It also answers the others' confirmation requests (handleConfirm).
 */
export class Watcher {
  readonly #d: WatcherDeps;
  readonly #tracker: SuspicionTracker;
  readonly #now: () => number;
  /** Subjects with a confirmation round in flight, or posted at (ms) and not yet in the log. */
  readonly #inFlight = new Set<Hex>();
  readonly #posted = new Map<Hex, { state: Liveness; at: number }>();
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #signingUnder: Network | undefined;
  #outsideOf: Hex | undefined;

  constructor(deps: WatcherDeps) {
    this.#d = deps;
    this.#tracker = new SuspicionTracker(deps.settings.suspectAfter);
    this.#now = deps.now ?? Date.now;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#ticking ??= this.#tick().finally(() => {
        this.#ticking = undefined;
      });
    }, this.#d.settings.probeIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stop.abort(new Error("stopping"));
    await this.#ticking;
  }

  #logState(subject: Hex): Liveness {
    return this.#d.db.lastEventOf(subject)?.state ?? "up";
  }

  /** The set to watch now, with this operator's peer requests signed under it; undefined while this operator is not in it. */
  #network(): Network | undefined {
    const network = this.#d.networks.current();
    if (network === this.#signingUnder) return network;
    if (memberById(network, this.#d.self) === undefined) {
      if (this.#outsideOf !== network.snapshotId)
        this.#d.logger.warn(
          { snapshotId: network.snapshotId, referenceBlock: referenceBlockOf(network) },
          "this operator is not a member of the current operator set: not watching",
        );
      this.#outsideOf = network.snapshotId;
      return undefined;
    }
    this.#d.peerSigner.setNetwork(network);
    this.#signingUnder = network;
    return network;
  }

  async #tick(): Promise<void> {
    const { self, settings, metrics } = this.#d;
    // Before epoch 0 there is no epoch to record a change in (a --epoch-origin in the future).
    if (epochOf(settings.epochs, this.#now()) < 0) return;
    const network = this.#network();
    if (network === undefined) return;
    const others = network.members.filter((m) => m.operatorId !== self);
    const results = await Promise.all(
      others.map((m) => probe(m.url, settings.probeTimeoutMs, this.#stop.signal)),
    );
    others.forEach((member, i) => {
      const result = results[i]!;
      metrics.probes.inc({ result });
      const logState = this.#logState(member.operatorId);
      const suspected = this.#tracker.record(member.operatorId, logState, result);
      if (suspected === undefined || this.#inFlight.has(member.operatorId)) return;
      const posted = this.#posted.get(member.operatorId);
      if (posted?.state === suspected && this.#now() - posted.at < settings.resubmitAfterMs) return;
      metrics.suspicions.inc({ state: suspected });
      this.#inFlight.add(member.operatorId);
      void this.#confirm(network, member.operatorId, suspected)
        .catch((error: unknown) =>
          this.#d.logger.error({ err: error, subject: member.operatorId }, "confirmation round failed"),
        )
        .finally(() => this.#inFlight.delete(member.operatorId));
    });
  }

  /** One round: own signature, then the peers' until the threshold by stake; posts the event. */
  async #confirm(network: Network, subject: Hex, state: Liveness): Promise<DowntimeEvent | undefined> {
    const { self, settings, logger, metrics } = this.#d;
    const observedAt = this.#now();
    const statement: Statement = { subject, state, observedAt, epoch: epochOf(settings.epochs, observedAt) };
    const request: ConfirmRequest = {
      ...statement,
      snapshotId: network.snapshotId,
      ...(referenceBlockOf(network) !== undefined ? { referenceBlock: referenceBlockOf(network) } : {}),
    };
    const shares = new Map<Hex, G1Point>([
      [self, signStatement(this.#d.secretKey, network.snapshotId, statement)],
    ]);
    const declined: Record<string, string> = {};
    let event = buildEvent(network, statement, shares);
    const asked = network.members.filter(
      (m) => m.operatorId !== self && m.operatorId !== subject && this.#d.peers.has(m.operatorId),
    );
    const deadline = AbortSignal.any([AbortSignal.timeout(settings.confirmTimeoutMs), this.#stop.signal]);
    await new Promise<void>((resolve) => {
      let open = asked.length;
      if (event !== undefined || open === 0) return resolve();
      for (const member of asked) {
        metrics.confirmationsAsked.inc();
        void this.#ask(member, request, deadline).then((reply) => {
          if (reply.confirmed) {
            let share: G1Point | undefined;
            try {
              share = g1FromJson(reply.signature);
            } catch {
              share = undefined;
            }
            if (share !== undefined && verifyStatementShare(network, statement, member.operatorId, share)) {
              shares.set(member.operatorId, share);
              event ??= buildEvent(network, statement, shares);
            } else declined[member.operatorId] = "BAD_SHARE";
          } else declined[member.operatorId] = reply.reason;
          open--;
          if (event !== undefined || open === 0) resolve();
        });
      }
    });
    if (event === undefined) {
      logger.info(
        { subject, state, signers: shares.size, declined },
        "suspected change not confirmed: the signers' stake is below the threshold",
      );
      return undefined;
    }
    try {
      await this.#d.client.send([JSON.stringify(event)], { signal: this.#stop.signal, timeoutMs: 10_000 });
      metrics.eventsPosted.inc();
      this.#posted.set(subject, { state, at: this.#now() });
      logger.info(
        {
          subject,
          state,
          observedAt,
          referenceBlock: request.referenceBlock,
          signers: shares.size,
          declined,
        },
        "event posted",
      );
      return event;
    } catch (error) {
      logger.warn({ subject, state, err: error }, "event not posted");
      return undefined;
    }
  }

  async #ask(member: Member, request: ConfirmRequest, signal: AbortSignal): Promise<ConfirmReply> {
    const url = this.#d.peers.get(member.operatorId)!;
    const body = JSON.stringify(request);
    try {
      const reply = await fetch(`${url.replace(/\/$/, "")}${CONFIRM_PATH}`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          ...this.#d.peerSigner.headers(member.operatorId, "POST", CONFIRM_PATH, body),
        },
        signal,
      });
      const json = (await reply.json()) as ConfirmReply;
      if (reply.ok && typeof json === "object" && json !== null && "confirmed" in json) return json;
      return { confirmed: false, reason: "DISAGREE", message: `HTTP ${reply.status}` };
    } catch (error) {
      return { confirmed: false, reason: "DISAGREE", message: `no reply: ${(error as Error).message}` };
    }
  }

  /**
   * A peer asks this operator to confirm a statement: it finds the operator set the statement
   * names (the same checks a replica makes of an event), probes the subject now, and signs only
   * if it agrees.
   */
  async handleConfirm(from: Member, request: ConfirmRequest): Promise<ConfirmReply> {
    const { self, settings, metrics } = this.#d;
    const decline = (reason: DeclineReason, message: string = DECLINES[reason]): ConfirmReply => {
      metrics.confirmationsDeclined.inc({ reason });
      return { confirmed: false, reason, message };
    };
    let resolved: Resolution;
    try {
      resolved = await this.#d.networks.resolve(request);
    } catch (error) {
      return decline("CHAIN_UNREADABLE", `${DECLINES.CHAIN_UNREADABLE}: ${(error as Error).message}`);
    }
    if (!resolved.ok) return decline("BAD_SNAPSHOT", `${resolved.reason}: ${resolved.detail}`);
    const { network } = resolved;
    if (memberById(network, self) === undefined) return decline("NOT_MY_NETWORK");
    const subject = memberById(network, request.subject);
    if (subject === undefined) return decline("NOT_A_MEMBER");
    if (subject.operatorId === self) return decline("SUBJECT_IS_ME");
    if (request.epoch !== epochOf(settings.epochs, request.observedAt)) return decline("WRONG_EPOCH");
    if (Math.abs(this.#now() - request.observedAt) > settings.maxSkewMs) return decline("CLOCK_SKEW");
    const seen = await probe(subject.url, settings.probeTimeoutMs, this.#stop.signal);
    metrics.probes.inc({ result: seen });
    if (seen !== request.state)
      return decline(
        "DISAGREE",
        `asked by ${from.operatorId}: my probe of ${subject.operatorId} says ${seen}`,
      );
    metrics.confirmationsGiven.inc();
    const statement: Statement = {
      subject: request.subject,
      state: request.state,
      observedAt: request.observedAt,
      epoch: request.epoch,
    };
    return {
      confirmed: true,
      signature: g1ToJson(signStatement(this.#d.secretKey, network.snapshotId, statement)),
    };
  }
}
