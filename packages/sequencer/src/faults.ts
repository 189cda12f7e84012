import type { Hex } from "viem";

/**
 * TEST ONLY. Misbehaviours a node can be told to show (`--fault`, accepted only with
 * AVSKIT_SEQUENCER_TEST_FAULTS=1), so that tests see the other nodes detect and vote out a
 * faulty leader:
 * - `censor:<operatorId>`: as leader, drop every batch that node forwards, and those ids from
 *   anyone afterwards (so a dispute that hands them to other nodes does not get them in);
 * - `equivocate`: as leader, send every second follower the round's entries in reverse order,
 *   with a tip statement and lock request to match (two chains at one index);
 * - `silent-leader`: as leader, send no rounds (HTTP still answers).
 */
export interface Faults {
  readonly censor: ReadonlySet<Hex>;
  readonly equivocate: boolean;
  readonly silentLeader: boolean;
}

export const NO_FAULTS: Faults = { censor: new Set(), equivocate: false, silentLeader: false };

export const TEST_FAULTS_ENV = "AVSKIT_SEQUENCER_TEST_FAULTS";

/** Parses the `--fault` values; a message naming the bad one is thrown. */
export function parseFaults(values: readonly string[]): Faults {
  const censor = new Set<Hex>();
  let equivocate = false;
  let silentLeader = false;
  for (const value of values) {
    const censored = /^censor:(0x[0-9a-fA-F]{64})$/.exec(value);
    if (censored) censor.add(censored[1]!.toLowerCase() as Hex);
    else if (value === "equivocate") equivocate = true;
    else if (value === "silent-leader") silentLeader = true;
    else
      throw new Error(
        `unknown fault ${JSON.stringify(value)} (censor:<operatorId>, equivocate, silent-leader)`,
      );
  }
  return { censor, equivocate, silentLeader };
}
