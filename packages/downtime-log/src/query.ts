import { Command, CommanderError, Option } from "commander";

/** What the query CLI needs from the outside (tests pass their own). */
export interface QueryIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly fetch?: typeof fetch;
}

const DEFAULT_URL = "http://127.0.0.1:7080";

/**
 * `avskit-downtime-query`: asks one replica's HTTP API and prints its answer as it sent it (the
 * exact bytes, so two replicas' answers can be compared with cmp or sha256sum). Exit codes: 0
 * answered; 1 the replica refused or could not be reached; 2 bad usage.
 */
export async function queryMain(argv: readonly string[], io: QueryIo): Promise<number> {
  const program = new Command("avskit-downtime-query")
    .description("Ask a downtime-log replica: how often and how long operators were down in an epoch.")
    .addOption(new Option("--url <url>", "the replica's API").env("AVSKIT_DOWNTIME_URL").default(DEFAULT_URL))
    .addOption(new Option("--at <index>", "answer as of this log index (default: the replica's latest)"))
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(add --help for usage)");
  let path: string | undefined;
  program
    .command("operator <operator>")
    .description("one operator (id or address): down events, total downtime and the events of an epoch")
    .option("--epoch <n|current>", "the epoch", "current")
    .action((operator: string, options: { epoch: string }) => {
      path = `/v1/operators/${encodeURIComponent(operator)}/epochs/${encodeURIComponent(options.epoch)}`;
    });
  program
    .command("epoch [n]")
    .description("every operator in an epoch, most downtime first (default: the current epoch)")
    .action((n: string | undefined) => {
      path = `/v1/epochs/${encodeURIComponent(n ?? "current")}`;
    });
  program
    .command("status")
    .description("the replica's last applied index, counts and database digest")
    .action(() => {
      path = "/v1/status";
    });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  if (path === undefined) {
    io.stderr(program.helpInformation());
    return 2;
  }
  const { url, at } = program.opts<{ url: string; at?: string }>();
  if (at !== undefined && !/^(0|[1-9][0-9]*)$/.test(at)) {
    io.stderr("avskit-downtime-query: --at must be a whole number (a log index)\n");
    return 2;
  }
  const target = `${url.replace(/\/$/, "")}${path}${at !== undefined ? `?at=${at}` : ""}`;
  try {
    const reply = await (io.fetch ?? fetch)(target, { signal: AbortSignal.timeout(10_000) });
    const text = await reply.text();
    if (!reply.ok) {
      io.stderr(`avskit-downtime-query: ${target} answered ${reply.status}: ${text}\n`);
      return 1;
    }
    io.stdout(`${text}\n`);
    return 0;
  } catch (error) {
    io.stderr(`avskit-downtime-query: cannot reach ${target}: ${(error as Error).message}\n`);
    return 1;
  }
}
