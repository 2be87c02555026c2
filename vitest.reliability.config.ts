// `npm run test:reliability`: the reliability suite at full scale (docs/reliability.md). The same
// test files run in `npm test` at scale 1 (the short version); here every knob is turned up:
// 120 SIGKILLs in the crash test, 300 runs per fault-server round, 5x the fuzz cases, 5x the
// corrupted plans and stores.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts", "test/vm/crash.test.ts", "test/vm/crash-concurrent.test.ts", "test/fuzz/**/*.test.ts", "test/lsp/server.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    env: {
      AWR_RELIABILITY_SCALE: process.env["AWR_RELIABILITY_SCALE"] ?? "5",
      AWR_FUZZ_RUNS: process.env["AWR_FUZZ_RUNS"] ?? "5",
    },
  },
});
