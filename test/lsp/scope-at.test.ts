// The names an expression sees at a cursor are the checker's: an `on error` handler sees `error`
// typed like a test's `error` (kind a union of the failure kinds); other nodes do not.
import { describe, expect, it } from "vitest";
import { loadProgram } from "../../compiler/semantic/load.js";
import * as Ty from "../../compiler/semantic/types.js";
import type * as A from "../../compiler/syntax/ast.js";
import { pathAt } from "../../lsp/ast-path.js";
import { scopeAt } from "../../compiler/scope-at.js";
import { memoryHost } from "../helpers/memory-host.js";

const SOURCE = `graph g(q: string) -> string {
  state { why: string?, done: string? }
  node first { set done = q  on error -> recover }
  node recover { set why = error.message }
  node second { set done = q  on error -> both }
  node both { set why = error?.kind }
  edge start -> first
  edge first -> second
  edge second -> both
  edge both -> end
  edge recover -> end
}
`;

function localsAt(marker: string): Map<string, Ty.Ty> {
  const { program } = loadProgram(["main.awr"], memoryHost({ "main.awr": SOURCE }));
  const module = program.modules.get("main.awr")!.ast;
  const offset = SOURCE.indexOf(marker);
  const decl = module.decls.find((d) => d.span.start <= offset && offset < d.span.end) as A.Decl;
  const scope = scopeAt(program, "main.awr", decl, pathAt(module, offset));
  return new Map([...scope.locals].map(([k, v]) => [k, v.ty]));
}

describe("scope at a cursor", () => {
  it("an on error handler sees error with the failure kinds", () => {
    const t = localsAt("error.message");
    expect(Ty.show(t.get("error")!)).toMatch(/^\{ kind: "timeout" \| "rate_limit" .*message: string/);
  });
  it("a handler also reached by an edge sees error as optional; other nodes do not see it", () => {
    expect(Ty.show(localsAt("error?.kind").get("error")!)).toMatch(/\?$|null/);
    expect(localsAt("set done = q").has("error")).toBe(false);
  });
});
