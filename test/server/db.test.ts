import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { numbered, openServerDb } from "../../server/db.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("server tables (server/db.ts)", () => {
  it("numbers placeholders for PostgreSQL", () => {
    expect(numbered("SELECT a FROM t WHERE b = ? AND c = ?")).toBe("SELECT a FROM t WHERE b = $1 AND c = $2");
  });

  it("migrates once, keeps rows across openings of one SQLite file, and rolls back a failed transaction", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-sdb-"));
    dirs.push(dir);
    const migrations = [["CREATE TABLE server_t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"]];
    const db = await openServerDb("runs.db", { cwd: dir });
    await db.migrate("t", migrations);
    await db.run("INSERT INTO server_t (k, v) VALUES (?, ?)", ["a", 1]);
    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO server_t (k, v) VALUES (?, ?)", ["b", 2]);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await db.close();
    const again = await openServerDb("runs.db", { cwd: dir });
    await again.migrate("t", migrations); // version 1 already: the CREATE is not run twice
    expect(await again.all("SELECT k, v FROM server_t ORDER BY k")).toEqual([{ k: "a", v: 1 }]);
    await expect(again.migrate("t", [])).rejects.toThrow(/newer than this awr knows/);
    await again.close();
  });
});
