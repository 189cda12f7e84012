import { Counter, createMetricsRegistry, Gauge, type Registry } from "@avskit/runtime";

export interface ChallengerMetrics {
  readonly registry: Registry;
  readonly responsesChecked: Counter<"verdict">;
  readonly challengesSent: Counter;
  readonly challengesSucceeded: Counter;
  readonly challengesFailed: Counter<"reason">;
  readonly lastScannedBlock: Gauge;
  readonly pendingResponses: Gauge;
  readonly responsesExpired: Counter;
}

export function createChallengerMetrics(registry: Registry = createMetricsRegistry()): ChallengerMetrics {
  return {
    registry,
    responsesChecked: new Counter({
      name: "avskit_challenger_responses_checked_total",
      help: "Responses recomputed, by verdict (correct, wrong)",
      labelNames: ["verdict"],
      registers: [registry],
    }),
    challengesSent: new Counter({
      name: "avskit_challenger_challenges_sent_total",
      help: "raiseAndResolveChallenge transactions sent",
      registers: [registry],
    }),
    challengesSucceeded: new Counter({
      name: "avskit_challenger_challenges_succeeded_total",
      help: "Challenges that proved a response wrong (TaskChallengedSuccessfully)",
      registers: [registry],
    }),
    challengesFailed: new Counter({
      name: "avskit_challenger_challenges_failed_total",
      help: "Wrong responses not proven wrong by this challenger, by reason (the contract's custom error, window-closed, non-signers-unavailable, task-not-found, unsuccessful, reverted)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    lastScannedBlock: new Gauge({
      name: "avskit_challenger_last_scanned_block",
      help: "Last block whose TaskResponded events were read",
      registers: [registry],
    }),
    responsesExpired: new Counter({
      name: "avskit_challenger_responses_expired_total",
      help: "Responses whose challenge window closed before they could be settled (e.g. during an RPC outage)",
      registers: [registry],
    }),
    pendingResponses: new Gauge({
      name: "avskit_challenger_pending_responses",
      help: "Responses seen but not settled yet (waiting for a retry after an RPC failure)",
      registers: [registry],
    }),
  };
}
