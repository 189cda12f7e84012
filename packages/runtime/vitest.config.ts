import { defineConfig } from "vitest/config";

export default defineConfig({
  // Only the TypeScript sources: tsc also emits compiled copies of the tests under dist/.
  test: { include: ["test/**/*.test.ts"] },
});
