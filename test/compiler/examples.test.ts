import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkFiles, compile } from "../../compiler/compile.js";
import { decodePlan, encodePlan, planToText } from "../../compiler/plan/index.js";
import { renderDiagnostic } from "../../compiler/diagnostics/render.js";
import { FileHost } from "../../host/source-host.js";
import { expectGolden } from "../helpers/golden.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const host = new FileHost();

function awrFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? awrFiles(p) : p.endsWith(".awr") ? [p] : [];
  });
}

function rendered(files: string[]): string {
  const { diagnostics } = checkFiles(files, host);
  return diagnostics.map((d) => renderDiagnostic(d, host.read(d.file) ?? "", { color: false })).join("\n");
}

const examples = readdirSync(join(ROOT, "examples")).filter((d) => statSync(join(ROOT, "examples", d, "main.awr"), { throwIfNoEntry: false })?.isFile());

describe("examples", () => {
  it("there are at least three", () => expect(examples.length).toBeGreaterThanOrEqual(3));

  for (const name of examples) {
    const dir = join(ROOT, "examples", name);
    it(`${name} checks without errors or warnings`, () => {
      const out = rendered(awrFiles(dir));
      expect(out).toBe("");
    });

    it(`${name} builds a plan that survives encode/decode and prints as its golden text`, () => {
      const r = compile([join(dir, "main.awr")], host, { plan: true });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const plan = r.plan!;
      expect(decodePlan(encodePlan(plan))).toEqual(plan);
      // Plans do not depend on where they were built.
      const json = JSON.stringify(plan);
      expect(json.includes(ROOT) ? json.slice(Math.max(0, json.indexOf(ROOT) - 120), json.indexOf(ROOT) + 60) : "no absolute path").toBe("no absolute path");
      expectGolden(join(ROOT, "test", "fixtures", "plans", `${name}.txt`), planToText(plan));
    });
  }

  it("use every declaration kind between them", () => {
    const kinds = new Set<string>();
    for (const name of examples) {
      const r = compile([join(ROOT, "examples", name, "main.awr")], host);
      for (const m of r.program.modules.values()) {
        if (m.library) continue;
        if (m.ast.imports.length) kinds.add("Import");
        for (const d of m.ast.decls) kinds.add(d.kind === "TypeDecl" && d.alias ? "TypeAlias" : d.kind);
      }
    }
    expect([...kinds].sort()).toEqual(
      ["AgentDecl", "ContextDecl", "EnumDecl", "GraphDecl", "Import", "ModelDecl", "PolicyDecl", "PromptDecl", "TestDecl", "ToolDecl", "TypeAlias", "TypeDecl"],
    );
  });
});

describe("the standard library", () => {
  it("checks without errors or warnings", () => {
    expect(rendered(awrFiles(join(ROOT, "stdlib")))).toBe("");
  });
});

describe("the example of DESIGN.md §2", () => {
  const fixture = join(ROOT, "test", "fixtures", "design", "main.awr");

  // test/fixtures/design/DESIGN.md is a copy of the team's shared DESIGN.md (tests read nothing
  // outside the repository); .ci/run warns when the copy is older than the original.
  it("is copied unchanged into the fixtures", () => {
    const design = readFileSync(join(ROOT, "test", "fixtures", "design", "DESIGN.md"), "utf8");
    const start = design.indexOf("```awr\n") + "```awr\n".length;
    const block = design.slice(start, design.indexOf("```", start));
    expect(readFileSync(fixture, "utf8")).toBe(block);
  });

  it("checks with no errors; only the advice a reviewer would want", () => {
    const r = compile([fixture], host);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(["warning AWR6006", "warning AWR6006", "warning AWR6003", "info AWR7001"]);
  });
});
