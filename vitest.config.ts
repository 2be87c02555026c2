import { defineConfig } from "vitest/config";

// `npm test`: everything that needs only Node and this repository. Suites that need more run in
// their own scripts (.ci/run runs them all): `npm run test:browser` (Chromium),
// `npm run test:vscode` (the extension's own dependencies), `npm run test:reliability`,
// `npm run test:pg` (a PostgreSQL server: test/pg/, and the store contract's PostgreSQL case).
export const NEEDS_MORE = ["test/**/*.browser.test.ts", "test/vscode-extension/**", "test/pg/**"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...NEEDS_MORE],
    testTimeout: 60_000,
    pool: "forks",
  },
});
