// `npm run test:vscode`: the VS Code extension (its TextMate grammar, manifest and .vsix) with the
// extension's own dependencies, which a user of the `awr` CLI never installs.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/vscode-extension/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
