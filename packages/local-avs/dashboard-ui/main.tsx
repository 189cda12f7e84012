import { type ComponentChildren, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type {
  DashboardSnapshot,
  DowntimeView,
  HealthView,
  OperatorView,
  SequencerView,
  ServiceView,
  TaskView,
} from "../src/dashboard/model.js";
import { blocks, clock, count, duration, percent, seconds, short, tokens } from "./format.js";

/** The event stream's state, and the gaps it had: the page says how long it saw nothing. */
interface Connection {
  readonly state: "connecting" | "live" | "lost";
  readonly since: number;
  readonly gaps: readonly { readonly from: number; readonly to: number }[];
}

function useSnapshots(): { snapshot: DashboardSnapshot | undefined; connection: Connection } {
  const [snapshot, setSnapshot] = useState<DashboardSnapshot>();
  const [connection, setConnection] = useState<Connection>({
    state: "connecting",
    since: Date.now(),
    gaps: [],
  });
  useEffect(() => {
    // EventSource reconnects by itself (the server asks for 1 s); each reconnect ends a gap.
    const events = new EventSource("/api/events");
    events.addEventListener("snapshot", (event) => {
      setSnapshot(JSON.parse((event as MessageEvent<string>).data) as DashboardSnapshot);
      setConnection((c) =>
        c.state === "live"
          ? c
          : {
              state: "live",
              since: Date.now(),
              gaps: c.state === "lost" ? [...c.gaps, { from: c.since, to: Date.now() }].slice(-5) : c.gaps,
            },
      );
    });
    events.addEventListener("error", () =>
      setConnection((c) => (c.state === "lost" ? c : { ...c, state: "lost", since: Date.now() })),
    );
    return () => events.close();
  }, []);
  return { snapshot, connection };
}

function Panel(props: { id: string; title: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={props.wide ? "panel wide" : "panel"} id={props.id} aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A table that scrolls sideways on a phone, reachable and scrollable with the keyboard. */
function Scroll(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
    <section class="scroll" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}

/** A data table: a caption for screen readers, column headers, and sideways scrolling on a phone. */
function Table(props: {
  label: string;
  caption: string;
  headers: readonly string[];
  children: ComponentChildren;
}) {
  return (
    <Scroll label={props.label}>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((header) => (
              <th key={header} scope="col">
                {header}
              </th>
            ))}
          </tr>
        </thead>
        {props.children}
      </table>
    </Scroll>
  );
}

function Health(props: { health: HealthView }) {
  const { health } = props;
  const word = { up: "healthy", down: "unhealthy", starting: "starting", unknown: "unknown" }[health.state];
  const lastGap = health.gaps.at(-1);
  return (
    <span class={`badge ${health.state}`} data-health={health.state}>
      {{ up: "● ", down: "✕ ", starting: "… ", unknown: "? " }[health.state]}
      {word}
      {health.state === "down" && health.detail ? ` (${health.detail})` : ""}
      {health.state === "up" && lastGap?.to !== undefined ? (
        <span class="gap" data-gap-ms={lastGap.to - lastGap.from}>
          {" "}
          — was down {duration(lastGap.to - lastGap.from)} until {clock(lastGap.to)}
        </span>
      ) : null}
    </span>
  );
}

const STATUS_MARK: Record<TaskView["status"], string> = {
  pending: "… pending",
  responded: "✓ responded",
  expired: "✕ expired",
  challenged: "⚑ challenged",
};

function LatencyChart(props: { tasks: readonly TaskView[] }) {
  const points = props.tasks
    .filter((t) => t.latencyMs !== undefined)
    .slice(0, 30)
    .reverse();
  if (points.length === 0)
    return <p class="muted">No response yet: the latency chart starts with the first one.</p>;
  const width = 320;
  const height = 80;
  const max = Math.max(...points.map((t) => t.latencyMs!), 1);
  // 6 px inside each edge, so the first and last points are drawn whole.
  const pad = 6;
  const step = points.length > 1 ? (width - 2 * pad) / (points.length - 1) : 0;
  const xy = points.map(
    (t, i) => [pad + i * step, height - pad - (t.latencyMs! / max) * (height - 2 * pad)] as const,
  );
  const last = points.at(-1)!;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Creation-to-response latency of the last ${points.length} tasks, up to ${seconds(max)}; latest ${seconds(last.latencyMs!)}`}
      >
        <polyline points={xy.map(([x, y]) => `${x},${y}`).join(" ")} />
        {xy.map(([x, y], i) => (
          <circle key={points[i]!.index} cx={x} cy={y} r="3">
            <title>
              task {points[i]!.index}: {seconds(points[i]!.latencyMs!)}
            </title>
          </circle>
        ))}
      </svg>
      <figcaption>
        Latency per task (creation → response), max {seconds(max)}, tasks {points[0]!.index}–{last.index}
      </figcaption>
    </figure>
  );
}

function Tasks(props: { tasks: readonly TaskView[] }) {
  const { tasks } = props;
  return (
    <Panel id="tasks" title="Tasks" wide>
      <LatencyChart tasks={tasks} />
      {tasks.length === 0 ? (
        <p class="muted">No task yet.</p>
      ) : (
        <Table
          label="Tasks table"
          caption="Tasks, newest first"
          headers={[
            "Task",
            "Operands",
            "Answer",
            "Status",
            "Signing stake per quorum",
            "Non-signers",
            "Respond tx",
            "Gas",
            "Latency",
          ]}
        >
          <tbody>
            {tasks.map((t) => (
              <tr key={t.index} data-task={t.index} data-status={t.status}>
                <th scope="row">{t.index}</th>
                <td class="nowrap">
                  {t.a} + {t.b}
                </td>
                <td data-field="answer">
                  {t.answer ?? "—"}
                  {t.correct === false ? " (wrong)" : ""}
                </td>
                <td data-field="status">
                  <span class={`badge ${t.status}`}>{STATUS_MARK[t.status]}</span>
                  {t.challengeSuccessful !== undefined
                    ? t.challengeSuccessful
                      ? " — proven wrong"
                      : " — upheld"
                    : ""}
                </td>
                <td>
                  {t.quorums?.map((q) => (
                    <div key={q.quorum}>
                      q{q.quorum}: {q.signers}/{q.operators} ops, {percent(q.signedStake, q.totalStake)} (
                      {tokens(q.signedStake)}/{tokens(q.totalStake)})
                    </div>
                  )) ??
                    t.signingError ??
                    "—"}
                </td>
                <td>{t.nonSigners ? (t.nonSigners.length === 0 ? "none" : t.nonSigners.join(", ")) : "—"}</td>
                <td class="mono" title={t.respondTx}>
                  {t.respondTx ? short(t.respondTx) : "—"}
                </td>
                <td data-field="gas">{t.gasUsed ? count(t.gasUsed) : "—"}</td>
                <td data-field="latency">
                  {t.latencyMs !== undefined
                    ? `${seconds(t.latencyMs)} / ${blocks(t.latencyBlocks ?? 0)}`
                    : t.latencyBlocks !== undefined
                      ? blocks(t.latencyBlocks)
                      : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Panel>
  );
}

function Operators(props: { operators: readonly OperatorView[] }) {
  return (
    <Panel id="operators" title="Operators" wide>
      <Table
        label="Operators table"
        caption="Operators, their stake per quorum on-chain and after the next sync"
        headers={[
          "Operator",
          "operatorId",
          "Registration",
          "Stake per quorum: on-chain → after sync",
          "Health",
        ]}
      >
        <tbody>
          {props.operators.map((op) => (
            <tr key={op.operatorId} data-operator={op.name}>
              <th scope="row">
                {op.name}
                <div class="mono small" title={op.address}>
                  {short(op.address, 12)}
                </div>
              </th>
              <td class="mono" title={op.operatorId}>
                {short(op.operatorId)}
              </td>
              <td>{op.registration}</td>
              <td>
                {op.quorums.map((q) => (
                  <div
                    key={q.quorum}
                    data-quorum={q.quorum}
                    data-on-chain={q.onChain}
                    data-after-sync={q.afterSync}
                  >
                    q{q.quorum}: <span data-field="on-chain">{tokens(q.onChain)}</span>
                    {q.afterSync === q.onChain ? (
                      " (current)"
                    ) : (
                      <>
                        {" → "}
                        <span data-field="after-sync">{tokens(q.afterSync)}</span>
                      </>
                    )}
                  </div>
                ))}
              </td>
              <td data-field="health">
                <Health health={op.health} />
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </Panel>
  );
}

function AvsSync(props: { snapshot: DashboardSnapshot }) {
  const { avsSync } = props.snapshot;
  return (
    <Panel id="avs-sync" title="avs-sync">
      <Table
        label="avs-sync table"
        caption="The last whole-quorum stake update per quorum"
        headers={["Quorum", "Last run", "Operators updated", "Gas", "Staleness"]}
      >
        <tbody>
          {avsSync.map((q) => (
            <tr key={q.quorum} data-sync-quorum={q.quorum}>
              <th scope="row">{q.quorum}</th>
              <td>
                {q.lastBlock === 0 ? "never" : `block ${q.lastBlock}`}
                {q.lastAt !== undefined ? ` at ${clock(q.lastAt)}` : ""}
                {q.lastTx ? (
                  <div class="mono small" title={q.lastTx}>
                    {short(q.lastTx)}
                  </div>
                ) : null}
              </td>
              <td>{q.operatorsUpdated ?? "—"}</td>
              <td>{q.gasUsed ? count(q.gasUsed) : "—"}</td>
              <td>{q.stalenessBlocks === undefined ? "—" : `${blocks(q.stalenessBlocks)} ago`}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </Panel>
  );
}

function Sequencer(props: { sequencer: SequencerView }) {
  const { nodes, leaderChanges } = props.sequencer;
  return (
    <Panel id="sequencer" title="Sequencer">
      <Table
        label="Sequencer nodes table"
        caption="Each sequencer node's role, term and finalized index per app"
        headers={["Node", "Role", "Term", "Finalized index per app", "Finality latency"]}
      >
        <tbody>
          {nodes.map((n) => (
            <tr key={n.name} data-node={n.name} data-role={n.role}>
              <th scope="row">{n.name}</th>
              <td>
                <span class={`badge ${n.role === "down" ? "down" : n.role === "leader" ? "leader" : "up"}`}>
                  {n.role}
                </span>
              </td>
              <td>{n.term ?? "—"}</td>
              <td>
                {Object.entries(n.finalized).length === 0
                  ? "—"
                  : Object.entries(n.finalized).map(([app, index]) => (
                      <div key={app}>
                        {app}: {index}
                      </div>
                    ))}
              </td>
              <td>{n.finalityLatencyMs === undefined ? "—" : duration(n.finalityLatencyMs)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <h3>Leader switches</h3>
      {leaderChanges.length === 0 ? (
        <p class="muted">No leader agreed on yet.</p>
      ) : (
        <ol class="timeline" aria-label="Leader switches, oldest first">
          {leaderChanges.map((c) => (
            <li key={`${c.term}-${c.at}`}>
              <time dateTime={new Date(c.at).toISOString()}>{clock(c.at)}</time> term {c.term}: {c.leader}
            </li>
          ))}
        </ol>
      )}
    </Panel>
  );
}

function Downtime(props: { downtime: DowntimeView }) {
  const { downtime } = props;
  return (
    <Panel id="downtime" title="Downtime log">
      {downtime.state === "not-running" ? (
        <p class="muted" data-downtime="not-running">
          Not running: {downtime.reason}.
        </p>
      ) : downtime.state === "unreachable" ? (
        <p data-downtime="unreachable">
          <span class="badge down">✕ unreachable</span> {downtime.url}: {downtime.error}
        </p>
      ) : (
        <>
          <p data-downtime="ok">
            Epoch {downtime.epoch}, as of log index {downtime.asOfIndex}
          </p>
          <Table
            label="Downtime per operator table"
            caption="Down events and total downtime per operator this epoch"
            headers={["Operator", "Now", "Down events", "Total downtime"]}
          >
            <tbody>
              {downtime.operators.map((o) => (
                <tr key={o.operator} data-downtime-operator={o.operator} data-down={o.downNow}>
                  <th scope="row">{o.operator}</th>
                  <td>
                    {o.downNow ? <span class="badge down">✕ down</span> : <span class="badge up">● up</span>}
                  </td>
                  <td>{o.downEvents}</td>
                  <td>{duration(o.totalDowntimeMs)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
    </Panel>
  );
}

function Services(props: { services: readonly ServiceView[] }) {
  return (
    <Panel id="services" title="Services">
      <ul class="services">
        {props.services.map((s) => (
          <li key={s.name} data-service={s.name}>
            <span class="name">{s.name}</span> <Health health={s.health} />{" "}
            {s.metricsUrl && isHttpUrl(s.metricsUrl) ? (
              <a href={s.metricsUrl} target="_blank" rel="noreferrer noopener">
                metrics<span class="sr-only"> of {s.name}</span>
              </a>
            ) : null}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

/** Only http(s) links are rendered: a `javascript:` URL in the data must not become a link. */
function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

function ConnectionLine(props: { connection: Connection }) {
  const { connection } = props;
  const last = connection.gaps.at(-1);
  return (
    <p
      class={`connection ${connection.state}`}
      role="status"
      aria-live="polite"
      data-connection={connection.state}
    >
      {connection.state === "live"
        ? "● live"
        : connection.state === "lost"
          ? `✕ connection to the dashboard lost at ${clock(connection.since)}; reconnecting…`
          : "connecting…"}
      {last ? ` (last gap: ${duration(last.to - last.from)}, ${clock(last.from)}–${clock(last.to)})` : ""}
    </p>
  );
}

function App() {
  const { snapshot, connection } = useSnapshots();
  return (
    <>
      <a class="skip" href="#tasks">
        Skip to tasks
      </a>
      <header>
        <h1>avskit local AVS</h1>
        <ConnectionLine connection={connection} />
        {snapshot ? (
          <p class="chain">
            chain {snapshot.chain.chainId} at block {snapshot.chain.block} ·{" "}
            <span class="mono">{snapshot.chain.rpcUrl}</span> · TaskManager{" "}
            <span class="mono" title={snapshot.chain.taskManager}>
              {short(snapshot.chain.taskManager, 12)}
            </span>
            {snapshot.chain.error ? (
              <span class="badge down"> chain unreachable: {snapshot.chain.error}</span>
            ) : null}
          </p>
        ) : null}
      </header>
      <main>
        {snapshot ? (
          <>
            <Tasks tasks={snapshot.tasks} />
            <Operators operators={snapshot.operators} />
            <AvsSync snapshot={snapshot} />
            <Sequencer sequencer={snapshot.sequencer} />
            <Downtime downtime={snapshot.downtime} />
            <Services services={snapshot.services} />
          </>
        ) : (
          <p class="muted">Waiting for the first snapshot…</p>
        )}
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
