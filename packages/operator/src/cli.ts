#!/usr/bin/env node
import { processIo } from "./cli/io.js";
import { runCli } from "./cli/program.js";

const code = await runCli(process.argv.slice(2), processIo());
// Exit once the output is flushed: idle keep-alive sockets of the JSON-RPC client would hold the process open.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
