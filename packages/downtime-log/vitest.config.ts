import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // The multi-process file starts 8 processes; on a loaded 2-core machine that takes a while.
    hookTimeout: 120_000,
    testTimeout: 120_000,
    // One cluster at a time: two files' processes would starve each other's timers.
    fileParallelism: false,
  },
});
