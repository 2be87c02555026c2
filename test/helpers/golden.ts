// Golden files: the expected output lives beside the input and is a reviewed diff, not a rubber
// stamp. `UPDATE_EXPECT=1` rewrites every expected file instead of comparing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";

const HINT = "run `UPDATE_EXPECT=1 npx vitest run` to accept the actual output, then review the diff";

export const updating = process.env.UPDATE_EXPECT === "1";

/** Compares `actual` with the file at `path`; fails with a line diff, or rewrites it under UPDATE_EXPECT=1. */
export function expectGolden(path: string, actual: string): void {
  const shown = relative(process.cwd(), path) || path;
  if (updating) {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path) || readFileSync(path, "utf8") !== actual) writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`expected file ${shown} is missing; ${HINT}\n\nactual output:\n${actual}`);
  }
  const expected = readFileSync(path, "utf8");
  if (expected === actual) return;
  throw new Error(`${shown} does not match the actual output (- expected, + actual); ${HINT}\n\n${lineDiff(expected, actual)}`);
}

/** A unified-style line diff with three lines of context around each change. */
export function lineDiff(expected: string, actual: string, context = 3): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  // LCS table from the end; golden files are small, so O(n·m) is fine.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { mark: " " | "-" | "+"; text: string; line: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ mark: " ", text: a[i]!, line: i + 1 });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ mark: "-", text: a[i]!, line: i + 1 });
      i++;
    } else {
      ops.push({ mark: "+", text: b[j]!, line: i + 1 });
      j++;
    }
  }
  const keep = ops.map(() => false);
  ops.forEach((op, k) => {
    if (op.mark === " ") return;
    for (let d = Math.max(0, k - context); d <= Math.min(ops.length - 1, k + context); d++) keep[d] = true;
  });
  const out: string[] = [];
  let skipped = false;
  ops.forEach((op, k) => {
    if (!keep[k]) {
      skipped = true;
      return;
    }
    if (skipped || out.length === 0) out.push(`@@ expected line ${op.line} @@`);
    skipped = false;
    out.push(`${op.mark} ${op.text}`);
  });
  return out.join("\n");
}
