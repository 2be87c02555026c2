import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

/** Compares `actual` with the golden file at `path`; `UPDATE_EXPECT=1` (or a missing file) rewrites it. */
export function expectGolden(actual: string, path: string): void {
  if (process.env.UPDATE_EXPECT === "1" || !existsSync(path)) {
    writeFileSync(path, actual);
    return;
  }
  expect(actual, `golden ${path} (rerun with UPDATE_EXPECT=1 to accept)`).toBe(readFileSync(path, "utf8"));
}
