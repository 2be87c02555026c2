import { defineConfig } from "vitest/config";

// `npm test`: everything that needs only Node and this repository. Suites that need more run in
// their own scripts (.ci/run runs them all): `npm run test:browser` (Chromium),
// `npm run test:vscode` (the extension's own dependencies), `npm run test:reliability`.
export const NEEDS_MORE = ["test/**/*.browser.test.ts", "test/vscode-extension/**"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...NEEDS_MORE],
    testTimeout: 60_000,
    pool: "forks",
  },
});
