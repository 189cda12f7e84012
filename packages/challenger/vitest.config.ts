import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // Each file starts its own anvil and deploys the AVS (a few seconds on a loaded machine).
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
