import { defineConfig } from "vitest/config";

// Only the TypeScript sources: tsc also emits the tests into dist/, which must not run twice.
// These tests start real anvil processes and CLIs: give them more than vitest's 5 s default
// on a busy machine.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
});
