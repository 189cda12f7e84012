#!/usr/bin/env node
import { runChallengerCli } from "./cli-main.js";

process.exitCode = await runChallengerCli(process.argv.slice(2));
