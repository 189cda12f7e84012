import { defineConfig } from "vitest/config";

// Only the TypeScript sources: tsc also emits the tests into dist/, which must not run twice.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"] },
});
