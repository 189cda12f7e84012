import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
    include: ["test/**/*.test.ts"],
    // The chain tests start anvil and deploy the AVS (several seconds on a loaded machine).
    hookTimeout: 120_000,
  },
});
