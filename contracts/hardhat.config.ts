import { createRequire } from "node:module";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { defineConfig } from "hardhat/config";

// No network access to the solc download server here: compile with the solc-js build that
// the `solc` npm package ships. Its npm version must equal `version` below.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";

export default defineConfig({
  plugins: [hardhatViem, hardhatViemAssertions, hardhatNodeTestRunner],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      viaIR: false,
    },
  },
  test: {
    solidity: { fuzz: { runs: 256 } },
  },
});
