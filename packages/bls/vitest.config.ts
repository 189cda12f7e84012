import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // BN254 pairings in pure JS take tens of milliseconds each on a loaded machine.
    testTimeout: 60_000,
  },
});
