import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // Each file starts its own cluster of real node processes; two files at a time on 2 cores.
    maxWorkers: 2,
    hookTimeout: 60_000,
    testTimeout: 60_000,
  },
});
