#!/usr/bin/env node
// `avskit-downtime-eject`. Committed and executable so that npm links the command when it installs, before
// anything is built (it links no command whose file is missing); the program is the build's.
const program = new URL("../dist/src/eject-cli.js", import.meta.url);
await import(program.href).catch((error) => {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(program.pathname))
    throw error;
  process.stderr.write(
    "avskit-downtime-eject is not built yet: run `npm run build` at the repository root\n",
  );
  process.exit(1);
});
