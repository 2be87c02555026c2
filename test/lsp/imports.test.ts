// Architecture Invariant (ARCHITECTURE.md): lsp/ imports the compiler through compiler/index.ts
// only (an API Boundary), and never cli/ (the file system reaches it as an injected SourceHost).
// Walks every import line of lsp/ and fails on a forbidden edge, naming the file and the import.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const LSP = join(ROOT, "lsp");


const sources = readdirSync(LSP, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));

/** Every module an lsp/ file imports (static `from "…"` and dynamic `import("…")`), as paths from the repo root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(LSP, file), "utf8");
  const specs = [...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => (m[1] ?? m[2])!);
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(ROOT, resolve(dirname(join(LSP, file)), s)).replace(/\\/g, "/"));
}

describe("lsp/ imports", () => {
  it("reads the sources", () => {
    expect(sources).toContain("workspace.ts");
    expect(importsOf("workspace.ts")).toContain("compiler/index.js");
  });

  it("reach the compiler through compiler/index.ts only, and never cli/", () => {
    const bad: string[] = [];
    for (const f of sources) {
      for (const target of importsOf(f)) {
        if (target.startsWith("cli/")) bad.push(`lsp/${f} imports ${target}`);
        else if (target.startsWith("compiler/") && target !== "compiler/index.js") bad.push(`lsp/${f} imports ${target} (use compiler/index.ts)`);
      }
    }
    expect(bad).toEqual([]);
  });
});
