import { waitFor } from "@avskit/integration";
import { Cluster, type ClusterOptions } from "../src/cluster.js";
import { getJson } from "../src/http.js";
import { InvariantChecker } from "../src/invariants.js";

export const APP = "e2e";

/** A cluster with the invariant checker running on it from the start. */
export interface Scenario {
  readonly cluster: Cluster;
  readonly checker: InvariantChecker;
  /** waitFor that fails at once when the checker has seen a violation. */
  until<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs?: number,
  ): Promise<T>;
  /** Stops the checker (throws its violation) and the cluster. */
  close(): Promise<void>;
}

export async function scenario(
  options: ClusterOptions = {},
  apps: readonly string[] = [APP],
): Promise<Scenario> {
  const cluster = await Cluster.start(options);
  const checker = new InvariantChecker(cluster, apps).start();
  return {
    cluster,
    checker,
    until: async (what, probe, timeoutMs = 15_000) => {
      try {
        return await waitFor(
          what,
          async () => {
            checker.assertOk();
            return probe();
          },
          timeoutMs,
          50,
        );
      } catch (error) {
        throw await withWhereNodesStood(error, cluster, checker, apps);
      }
    },
    close: async () => {
      try {
        await checker.stop();
      } finally {
        await cluster.close();
      }
    },
  };
}

/**
 * A timed-out wait says where every node stood (its state, how far the checker read it, its
 * last log lines): a failure on a loaded CI machine is then readable without a rerun.
 */
async function withWhereNodesStood(
  error: unknown,
  cluster: Cluster,
  checker: InvariantChecker,
  apps: readonly string[],
): Promise<unknown> {
  if (!(error instanceof Error) || checker.violation) return error;
  const states = await cluster.states();
  const lines = cluster.nodes.map((n, i) => {
    const read = apps.map((app) => `${app} read ${checker.readOf(n.index, app)}`).join(", ");
    const state = states[i] ? JSON.stringify(states[i]) : "no answer";
    const tail = n.output().split("\n").slice(-8).join("\n");
    return `node ${n.index} (${n.running ? "running" : "stopped"}; ${read}): ${state}\n${tail}`;
  });
  const agreed = apps.map((app) => `${app} ${checker.log(app).hashes.length}`).join(", ");
  error.message += `\nagreed log: ${agreed}; checker passes ${checker.ticks}\n${lines.join("\n")}`;
  return error;
}

/** GET /v1/apps/:app/finalized of one node. */
export async function finalizedOf(
  url: string,
  app = APP,
): Promise<{ index: bigint; chainHash: string } | undefined> {
  const reply = await getJson(`${url}/v1/apps/${app}/finalized`);
  if (reply?.status !== 200) return undefined;
  const body = reply.body as { index: string; chainHash: string };
  return { index: BigInt(body.index), chainHash: body.chainHash.toLowerCase() };
}
