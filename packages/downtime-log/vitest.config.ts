import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
