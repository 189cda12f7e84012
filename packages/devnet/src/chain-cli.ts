#!/usr/bin/env node
import { runChainCli } from "./chain-cli-program.js";

// Exit as soon as the chain is down: idle keep-alive sockets to the stopped anvil would
// otherwise hold the process for a few more seconds.
process.exit(await runChainCli(process.argv.slice(2)));
