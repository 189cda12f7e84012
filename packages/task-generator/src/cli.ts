#!/usr/bin/env node
import { runTaskGeneratorCli } from "./cli-main.js";

process.exitCode = await runTaskGeneratorCli(process.argv.slice(2));
