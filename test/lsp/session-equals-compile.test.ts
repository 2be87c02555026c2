// `awr check` and the editor must agree: for every program of examples/** (clean programs, with
// unused-declaration warnings in their modules) and of the diagnostic goldens (one program per
// diagnostic code: parse, check, js-module and graph-analysis errors), the diagnostics the language
// server's workspace (one incremental Session over the open buffers) reports — for the whole
// program and file by file, as it publishes them — and its references equal what `compile` reports.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { FileHost } from "../../host/source-host.js";
import { Workspace } from "../../lsp/workspace.js";
import { pathToUri } from "../../lsp/convert.js";

const ROOT = join(import.meta.dirname, "..", "..");
const awrFiles = (dir: string) =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".awr"))
    .map((f) => join(ROOT, dir, f))
    .sort();
const examples = awrFiles("examples");
const goldens = awrFiles("test/golden/diagnostics");

describe("the language server's session and compile", () => {
  it("finds the programs, and the goldens report errors of every stage", () => {
    expect(examples.length).toBeGreaterThan(10);
    const codes = new Set(goldens.flatMap((f) => compile([f], new FileHost()).diagnostics.map((d) => d.code.slice(0, 4))));
    for (const stage of ["AWR1", "AWR2", "AWR3", "AWR4", "AWR5"]) expect(codes).toContain(stage);
  });

  it.each([...examples, ...goldens].map((f) => [f.slice(ROOT.length + 1), f]))("give identical diagnostics for %s", (_name, file) => {
    const want = compile([file], new FileHost());
    const ws = new Workspace({ disk: () => new FileHost() });
    // Every file of the program is open, as in an editor; the entry is the document being checked.
    for (const m of want.program.modules.keys()) if (!want.program.modules.get(m)!.library) ws.setText(m, pathToUri(m), readFileSync(m, "utf8"));
    const got = ws.analyse(file);
    for (const m of want.program.modules.keys()) {
      expect(got.fileDiagnostics(m)).toEqual(want.diagnostics.filter((d) => d.file === m));
    }
    expect(got.diagnostics).toEqual(want.diagnostics);
    expect(got.check.references).toEqual(want.check.references);
  });
});
