// `npm run test:browser`: pages rendered in headless Chromium (Debian's chromium at /usr/bin/chromium
// or AWR_CHROMIUM), driven by playwright-core.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.browser.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
