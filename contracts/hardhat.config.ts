import { createRequire } from "node:module";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import { defineConfig } from "hardhat/config";

// No network access to the solc download server here: compile with the solc-js build that
// the `solc` npm package ships. Its npm version must equal `version` below.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.30";

// The optimizer tunes for calls made many times (the check, the stake sync): runs 20,000 saves
// ~1,200 gas a check and ~600 an operator in a sync over 200 (`npm run bench:gas`). The
// coordinator stays at 200, the only setting that keeps it under the 24,576-byte code limit.
function compiler(runs: number) {
  return {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs }, evmVersion: "cancun", viaIR: false },
  };
}

export default defineConfig({
  plugins: [hardhatViem, hardhatViemAssertions, hardhatNodeTestRunner],
  solidity: {
    compilers: [compiler(20_000)],
    overrides: {
      "contracts/registries/RegistryCoordinator.sol": compiler(200),
    },
  },
  test: {
    solidity: { fuzz: { runs: 256 } },
  },
});
