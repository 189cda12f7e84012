#!/usr/bin/env node
import type { CliIo } from "./cli/io.js";
import { runCli } from "./cli/program.js";
import { readAll } from "./keys/secrets.js";

const io: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  readStdin: () => readAll(process.stdin),
  waitForStop: (stop) =>
    new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(130); // a second Ctrl-C does not wait for cleanup
        stopping = true;
        void stop(signal).then(resolve, resolve);
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    }),
};

process.exitCode = await runCli(process.argv.slice(2), io);
