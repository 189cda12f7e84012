#!/usr/bin/env node
// Before the service's modules load: one of them imports node:sqlite, which warns on load.
const { quietSqliteWarning, runServiceCli } = await import("@avskit/runtime");
quietSqliteWarning();
const { downtimeService } = await import("./service.js");
runServiceCli(downtimeService);
