import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

/** Compares `actual` with a golden file; `UPDATE_EXPECT=1` rewrites it (review the diff). */
export function expectGolden(path: string, actual: string): void {
  if (process.env.UPDATE_EXPECT === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing; run with UPDATE_EXPECT=1 to write it`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}
