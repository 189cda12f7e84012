#!/usr/bin/env node
import { runDeployCli } from "./cli-program.js";

// Exit once done: idle keep-alive sockets to the RPC endpoint would otherwise hold the process.
process.exit(await runDeployCli(process.argv.slice(2)));
