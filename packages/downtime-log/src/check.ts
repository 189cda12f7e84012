import { type Member, memberById } from "@avskit/sequencer-protocol";
import type { DowntimeDb, EventRow } from "./db.js";
import { type EpochConfig, epochOf } from "./epochs.js";
import type { NetworkSource } from "./networks.js";
import type { RefusalReason } from "./refusals.js";
import { checkSigners, parseEvent, statementDigest, verifyEventSignature } from "./statement.js";

export interface CheckContext {
  /** Where the operator set an event names is found (a static file's, or the registries' at its block). */
  readonly networks: NetworkSource;
  readonly db: DowntimeDb;
  readonly epochs: EpochConfig;
  /** How far observation times may be apart from the log's clock and this replica's clock. */
  readonly maxSkewMs: number;
  /** This replica's clock (only FUTURE_TIMESTAMP reads it). */
  readonly now: () => number;
}

export type Decision =
  | { readonly apply: true; readonly row: EventRow; readonly operators: readonly Member[] }
  | { readonly apply: false; readonly reason: RefusalReason; readonly detail: string };

const refuse = (reason: RefusalReason, detail: string): Decision => ({ apply: false, reason, detail });

/**
 * What a replica does with batch `index` of the log. Cheap checks first, the one pairing last, so
 * a flood of junk costs parsing only. Every check but FUTURE_TIMESTAMP reads only the log so far,
 * the chain's history (the operator set at the event's reference block, see networks.ts) and the
 * configuration, so every replica decides every batch alike, whenever it reads it.
 * FUTURE_TIMESTAMP reads the local clock: an event only fails it when stake above the threshold
 * signed a time they had not reached, which the fault model excludes (README). Throws only when
 * the chain cannot be read; the batch is then decided on the next try.
 */
export async function decide(ctx: CheckContext, index: number, body: Uint8Array): Promise<Decision> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return refuse("NOT_JSON", `batch ${index} is ${body.length} bytes of something else`);
  }
  const parsed = parseEvent(json);
  if (!parsed.ok) return refuse("MALFORMED", parsed.problem);
  const event = parsed.event;
  const resolved = await ctx.networks.resolve(event);
  if (!resolved.ok) return refuse(resolved.reason, resolved.detail);
  const { network } = resolved;
  if (memberById(network, event.subject) === undefined)
    return refuse("NOT_A_MEMBER", `subject ${event.subject}`);
  const epoch = epochOf(ctx.epochs, event.observedAt);
  if (event.epoch !== epoch)
    return refuse("WRONG_EPOCH", `epoch ${event.epoch}, observedAt falls in ${epoch}`);
  const signers = checkSigners(network, event);
  if (!signers.ok) return refuse(signers.reason, `${event.nonSigners.length} non-signers`);
  const digest = statementDigest(network.snapshotId, event);
  if (ctx.db.hasDigest(digest)) return refuse("ALREADY_APPLIED", `statement ${digest}`);
  const previous = ctx.db.lastEventOf(event.subject);
  if (previous !== undefined && event.observedAt <= previous.observedAt)
    return refuse(
      "NOT_AFTER_PREVIOUS",
      `observedAt ${event.observedAt}, previous event (index ${previous.index}) at ${previous.observedAt}`,
    );
  const clock = ctx.db.logClock();
  if (event.observedAt < clock - ctx.maxSkewMs)
    return refuse("STALE_TIMESTAMP", `observedAt ${event.observedAt}, the log's newest event at ${clock}`);
  if (event.observedAt > ctx.now() + ctx.maxSkewMs)
    return refuse("FUTURE_TIMESTAMP", `observedAt ${event.observedAt}`);
  const current = previous?.state ?? "up";
  if (event.state === current) return refuse("NOT_A_CHANGE", `the subject is already ${current}`);
  if (!verifyEventSignature(network, event)) return refuse("BAD_SIGNATURE", `statement ${digest}`);
  return {
    apply: true,
    row: { index, subject: event.subject, state: event.state, observedAt: event.observedAt, epoch, digest },
    operators: network.members,
  };
}
