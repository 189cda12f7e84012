import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // The anvil suites share one chain per file; files run one after another to keep the
    // 2-core CI machine from timing out.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
