import { expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CODES } from "../../compiler/diagnostics/codes.js";
import { VERSION } from "../../compiler/version.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

it("docs/diagnostics.md lists exactly the codes of the registry, with their severity and title", () => {
  const doc = readFileSync(join(ROOT, "docs", "diagnostics.md"), "utf8");
  const rows = [...doc.matchAll(/^\| (AWR\d{4}) \| (\w+) \| (.*) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
  expect(rows).toEqual(Object.entries(CODES).map(([code, info]) => [code, info.severity, info.title]));
});

it("the compiler version written into plans is the package version", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
