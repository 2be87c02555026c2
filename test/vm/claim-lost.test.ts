// A run taken over by another runtime on the same SQLite file (two stores, as two processes would
// open it): the loser gets ClaimLost (test/vm/claim-lost.ts has the scenarios).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { SqliteStore } from "../../vm/store/sqlite.js";
import { claimLostCases } from "./claim-lost.js";

describe("ClaimLost on SQLite", () => {
  claimLostCases(async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-claim-"));
    const file = join(dir, "runs.db");
    const a = new SqliteStore(file);
    const b = new SqliteStore(file);
    return {
      a,
      b,
      async close() {
        a.close();
        b.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
