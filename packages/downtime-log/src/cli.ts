#!/usr/bin/env node
// node:sqlite prints an ExperimentalWarning on load (Node 22); the service's logs are JSON lines,
// and that one line on stderr says nothing an operator can act on.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning instanceof Error ? warning.message : warning).includes("SQLite")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const { runServiceCli } = await import("@avskit/runtime");
const { downtimeService } = await import("./service.js");
runServiceCli(downtimeService);
