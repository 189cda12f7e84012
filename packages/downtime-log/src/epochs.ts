/**
 * Epochs are fixed windows of wall-clock time: epoch n is [origin + n·length, origin + (n+1)·length)
 * in ms since the Unix epoch. The defaults (origin 1970-01-01T00:00:00Z, length 1 h) give
 * UTC-aligned hours. Every replica must use the same two numbers: an event's epoch is checked
 * against them, and answers are computed with them.
 */
export interface EpochConfig {
  readonly lengthMs: number;
  readonly originMs: number;
}

export const DEFAULT_EPOCHS: EpochConfig = Object.freeze({ lengthMs: 3_600_000, originMs: 0 });

/** The epoch `atMs` falls in; -1 before the origin (no epoch). */
export function epochOf(config: EpochConfig, atMs: number): number {
  if (atMs < config.originMs) return -1;
  return Math.floor((atMs - config.originMs) / config.lengthMs);
}

export function epochBounds(config: EpochConfig, epoch: number): { start: number; end: number } {
  const start = config.originMs + epoch * config.lengthMs;
  return { start, end: start + config.lengthMs };
}
