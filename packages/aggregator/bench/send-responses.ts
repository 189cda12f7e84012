/**
 * The benchmark's operators: a separate process, so that sending 200 HTTP requests costs the
 * aggregator's process nothing. Reads the request bodies from a file, prints "ready", waits
 * for "go" on stdin, posts every body at once (one connection each, as 200 machines would),
 * then prints one JSON line with each reply's status and code.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const [url, bodiesFile] = process.argv.slice(2);
if (!url || !bodiesFile) {
  process.stderr.write("usage: send-responses <aggregator url> <bodies.json>\n");
  process.exit(2);
}
const requests = JSON.parse(readFileSync(bodiesFile, "utf8")) as {
  taskIndex: number;
  token: string;
  body: unknown;
}[];
const payloads = requests.map((r) => ({
  path: `${url}/v1/tasks/${r.taskIndex}/responses`,
  token: r.token,
  json: JSON.stringify(r.body),
}));

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
for await (const line of lines) {
  if (line.trim() !== "go") continue;
  const started = performance.now();
  const replies = await Promise.all(
    payloads.map(async (p) => {
      const response = await fetch(p.path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${p.token}` },
        body: p.json,
      });
      const body = (await response.json()) as { code?: string };
      return { status: response.status, code: body.code, ms: performance.now() - started };
    }),
  );
  process.stdout.write(`${JSON.stringify({ replies, wallMs: performance.now() - started })}\n`);
  break;
}
lines.close();
