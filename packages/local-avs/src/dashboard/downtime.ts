import type { DowntimeView } from "./model.js";

/**
 * Where the downtime panel's figures come from. The downtime-log service (packages/downtime-log,
 * being built on its own branch) will answer per operator, for the current epoch, its down
 * events and total downtime as of a log index; a source for its HTTP API plugs in here without
 * the rest of the dashboard changing. Until then local-avs passes `notRunningDowntimeSource`.
 */
export interface DowntimeSource {
  /** One reading; should not throw (an unreachable service is a state, not an error). */
  read(signal: AbortSignal): Promise<DowntimeView>;
}

/** No downtime-log service in this devnet: the panel says so. */
export function notRunningDowntimeSource(
  reason = "no downtime-log service is configured in this devnet",
): DowntimeSource {
  const view: DowntimeView = { state: "not-running", reason };
  return { read: async () => view };
}
