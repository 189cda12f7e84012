#!/usr/bin/env node
// `avskit-deploy`. Committed and executable so that npm links the command when it installs, before
// anything is built (it links no command whose file is missing); the program is the build's.
await import("../dist/src/cli.js");
