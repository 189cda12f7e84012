#!/usr/bin/env node
import { runLocalAvsCli } from "../cli-main.js";
import { type DowntimeDemoResult, downtimeDemo } from "./downtime.js";

/**
 * `npm run demo:downtime`: the local AVS (the same options as `npm start`), the downtime demo
 * once it is up, then everything stopped; the demo's JSON line is the last line printed.
 */
let result: DowntimeDemoResult | undefined;
const code = await runLocalAvsCli(process.argv.slice(2), process.env, async (devnet) => {
  result = await downtimeDemo(devnet, (line) => process.stdout.write(`${line}\n`));
});
if (result === undefined) {
  process.stderr.write("demo:downtime did not finish (see above)\n");
  process.exit(code === 0 ? 1 : code);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(code !== 0 ? code : result.replicas_agree ? 0 : 1);
