#!/usr/bin/env node
import { main } from "./app.js";

main({ argv: process.argv.slice(2), handleProcessSignals: true }).then(
  // Exit explicitly: idle keep-alive sockets of the JSON-RPC client would otherwise hold the
  // process open for seconds after the work is done (cron and CronJobs wait for the exit).
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`avs-sync: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
