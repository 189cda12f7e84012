#!/usr/bin/env node
import { runAggregatorCli } from "./cli-main.js";

process.exitCode = await runAggregatorCli(process.argv.slice(2));
