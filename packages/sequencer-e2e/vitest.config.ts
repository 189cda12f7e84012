import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // Each file starts its own cluster of 4 real node processes: one file at a time, since two
    // clusters on 2 cores starved each other's timers (leader timeouts fired on healthy leaders).
    maxWorkers: 1,
    hookTimeout: 120_000,
    testTimeout: 60_000,
  },
});
