// `npm run test:pg`: the suites that need a PostgreSQL server (docs/store.md § PostgreSQL). The
// server is AWR_TEST_POSTGRES (default: the CI machines' local one, 127.0.0.1:5432, trust auth,
// database `test`); the store contract (test/vm/store/contract.test.ts) runs here with its
// PostgreSQL case, beside test/pg/. Every test uses a schema of its own and drops it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/pg/**/*.test.ts", "test/vm/store/contract.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    env: {
      AWR_TEST_POSTGRES: process.env["AWR_TEST_POSTGRES"] || "postgres://postgres@127.0.0.1:5432/test",
    },
  },
});
