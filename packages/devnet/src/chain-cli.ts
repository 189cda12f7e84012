#!/usr/bin/env node
import { runChainCli } from "./chain-cli-program.js";

process.exitCode = await runChainCli(process.argv.slice(2));
