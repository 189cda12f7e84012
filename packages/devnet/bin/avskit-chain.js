#!/usr/bin/env node
// `avskit-chain`. Committed and executable so that npm links the command when it installs, before
// anything is built (it links no command whose file is missing); the program is the build's.
await import("../dist/src/chain-cli.js");
