import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // Each file runs a whole devnet (anvil + every service as a process): one at a time, or
    // they slow each other down past their response windows on a small machine.
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 120_000,
  },
});
