#!/usr/bin/env node
import { runDeployCli } from "./cli-program.js";

process.exitCode = await runDeployCli(process.argv.slice(2));
