#!/usr/bin/env node
import { runLocalAvsCli } from "./cli-main.js";

process.exitCode = await runLocalAvsCli(process.argv.slice(2));
