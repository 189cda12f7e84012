import { sleep } from "@avskit/runtime";
import type { DevnetControl } from "../local-avs.js";

/** The last line of `npm run demo:downtime`. */
export interface DowntimeDemoResult {
  readonly replicas: number;
  readonly events_applied: number;
  readonly replicas_agree: boolean;
  readonly down_detected_ms: number;
  readonly up_detected_ms: number;
  readonly operator: string;
  readonly epoch: number;
  readonly as_of_index: number;
}

interface Answer {
  readonly asOfIndex: number;
  readonly epoch: number;
  readonly downEvents: number;
  readonly downtimeMs: number;
  readonly downNow: boolean;
}

interface Status {
  readonly asOfIndex: number;
  readonly finalizedIndex: number;
  readonly applied: number;
  readonly digest: string;
}

async function text(url: string): Promise<string | undefined> {
  try {
    const reply = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return reply.ok ? await reply.text() : undefined;
  } catch {
    return undefined;
  }
}

async function json<T>(url: string): Promise<T | undefined> {
  const body = await text(url);
  return body === undefined ? undefined : (JSON.parse(body) as T);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Kills the processes of the operator with the least stake (its operator service, sequencer node and downtime log),
 * waits for every other replica to apply its down event, restarts them, waits for every replica
 * (the restarted one included) to apply the up event, then asks every replica the same two
 * questions at the same log index and compares the bytes.
 */
export async function downtimeDemo(
  devnet: DevnetControl,
  out: (line: string) => void,
): Promise<DowntimeDemoResult> {
  // The operator with the least stake: the others must keep the sequencer's and the downtime
  // log's threshold (67 %) without it, or nothing can be finalized or confirmed while it is down.
  const victim = [...devnet.operators].sort((a, b) =>
    a.deposit < b.deposit ? -1 : a.deposit > b.deposit ? 1 : 0,
  )[0]!;
  const replicas = devnet.operators.map((o) => ({ name: o.name, url: devnet.downtimeUrls.get(o.name)! }));
  const others = replicas.filter((r) => r.name !== victim.name);
  const about = (url: string, epoch: number | "current", at?: number) =>
    `${url}/v1/operators/${victim.operatorId}/epochs/${epoch}${at !== undefined ? `?at=${at}` : ""}`;
  await until("every downtime log to answer", async () =>
    (await Promise.all(replicas.map((r) => json<Status>(`${r.url}/v1/status`)))).every(Boolean),
  );
  const epoch = (await json<Answer>(about(replicas[0]!.url, "current")))!.epoch;

  out(`demo: killing ${victim.name}'s processes (operator, sequencer node, downtime log)`);
  const killedAt = Date.now();
  await devnet.kill(victim.name);
  await until("the down event on every other replica", async () =>
    (await Promise.all(others.map((r) => json<Answer>(about(r.url, epoch))))).every(
      (a) => a?.downNow === true,
    ),
  );
  const downMs = Date.now() - killedAt;
  out(`demo: every other replica applied ${victim.name} down, ${downMs} ms after the kill`);
  await sleep(5_000);

  out(`demo: restarting ${victim.name}'s processes`);
  const restartedAt = Date.now();
  await devnet.restart(victim.name);
  await until("the up event on every replica", async () =>
    (await Promise.all(replicas.map((r) => json<Answer>(about(r.url, epoch))))).every(
      (a) => a !== undefined && a.downNow === false && a.downEvents >= 1,
    ),
  );
  const upMs = Date.now() - restartedAt;
  out(`demo: every replica applied ${victim.name} up, ${upMs} ms after the restart began`);

  // The same index everywhere: the log is quiet once the up event is in.
  let statuses: Status[] = [];
  await until("every replica at the same index", async () => {
    statuses = (await Promise.all(replicas.map((r) => json<Status>(`${r.url}/v1/status`)))).filter(
      (s): s is Status => s !== undefined,
    );
    return statuses.length === replicas.length && new Set(statuses.map((s) => s.asOfIndex)).size === 1;
  });
  const at = statuses[0]!.asOfIndex;
  const answers = await Promise.all(replicas.map((r) => text(about(r.url, epoch, at))));
  const tables = await Promise.all(replicas.map((r) => text(`${r.url}/v1/epochs/${epoch}?at=${at}`)));
  replicas.forEach((r, i) => {
    out(`demo: ${r.name}'s replica on ${victim.name}, epoch ${epoch}, as of index ${at}: ${answers[i]}`);
  });
  replicas.forEach((r, i) => {
    out(`demo: ${r.name}'s replica, every operator in epoch ${epoch}, as of index ${at}: ${tables[i]}`);
  });
  const agree =
    answers.every((a) => a !== undefined && a === answers[0]) &&
    tables.every((t) => t !== undefined && t === tables[0]) &&
    new Set(statuses.map((s) => s.digest)).size === 1;
  return {
    replicas: replicas.length,
    events_applied: statuses[0]!.applied,
    replicas_agree: agree,
    down_detected_ms: downMs,
    up_detected_ms: upMs,
    operator: victim.name,
    epoch,
    as_of_index: at,
  };
}
