// Recovery from one misplaced line, counted as the user sees it: every diagnostic of a full check of
// the support-triage example (syntax and consequences) after one line is pasted inside a node.
// Issue 15: a pasted `node` line used to end the graph and yield 15 diagnostics, 12 of them consequences.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkFiles } from "../../../compiler/compile.js";
import type { Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { parse } from "../../../compiler/syntax/parser.js";
import { FileHost } from "../../../host/source-host.js";

const FILE = join(import.meta.dirname, "..", "..", "..", "examples", "support-triage", "main.awr");
const ORIGINAL = readFileSync(FILE, "utf8");

/** The example with `line` inserted after the first line containing `after`. */
function pasted(after: string, line: string): string {
  const lines = ORIGINAL.split("\n");
  const at = lines.findIndex((l) => l.includes(after));
  expect(at).toBeGreaterThan(0);
  lines.splice(at + 1, 0, line);
  return lines.join("\n");
}

function check(text: string): Diagnostic[] {
  class Edited extends FileHost {
    override read(f: string): string | undefined {
      return f === FILE ? text : super.read(f);
    }
  }
  return checkFiles([FILE], new Edited()).diagnostics;
}

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);

describe("a line pasted inside a node (support-triage)", () => {
  it("the example itself checks clean (the baseline)", () => {
    expect(check(ORIGINAL)).toEqual([]);
  });

  it("a whole new node line: one syntax error, plus what is true of the pasted node itself", () => {
    const text = pasted("run refund_advisor(", "  node audit { set escalated = true }");
    const ds = check(text);
    expect(ds.length).toBeLessThanOrEqual(3);
    const syntax = ds.filter((d) => d.code === "AWR1002");
    expect(syntax).toHaveLength(1);
    expect(syntax[0]!.message).toContain('node "audit" is inside node "decide"');
    expect(syntax[0]!.span.start).toBe(text.indexOf("node audit"));
    // The rest of the graph parsed: no node of the example is unreachable or without edges.
    expect(ds.filter((d) => d.code !== "AWR1002").every((d) => d.message.includes('"audit"'))).toBe(true);
    expect(codes(ds).sort()).toEqual(["AWR1002", "AWR4001", "AWR4012"]);
  });

  it("a copy of an existing one-line node: the syntax error and the duplicate", () => {
    const ds = check(pasted("run refund_advisor(", '  node escalate { await human("lead") -> reply }'));
    expect(codes(ds).sort()).toEqual(["AWR1002", "AWR4011"]);
  });

  it("a node being typed (`node name`, no body yet): one diagnostic, the node keeps its statements", () => {
    const text = pasted("run refund_advisor(", "  node later");
    const ds = check(text);
    expect(codes(ds)).toEqual(["AWR1002"]);
    const decide = parse(FILE, text).module.decls.find((d) => d.kind === "GraphDecl")!;
    const node = decide.kind === "GraphDecl" ? decide.members.find((m) => m.kind === "Node" && m.name.name === "decide") : undefined;
    expect(node?.kind === "Node" && node.stmts.map((s) => s.kind)).toEqual(["Run", "Set", "Timeout"]);
  });

  it("an edge line: one diagnostic, and the edge still counts", () => {
    const ds = check(pasted("run refund_advisor(", "  edge respond -> notify"));
    expect(codes(ds)[0]).toBe("AWR1002");
    expect(ds.length).toBeLessThanOrEqual(2);
  });

  it("a node line pasted into the state block: the syntax error and what is true of the node", () => {
    const ds = check(pasted("escalated: bool = false", "  node audit { set escalated = true }"));
    expect(codes(ds).sort()).toEqual(["AWR1002", "AWR4001", "AWR4012"]);
    expect(ds.find((d) => d.code === "AWR1002")!.message).toContain('node "audit" is inside the state block');
  });

  it("a field named like a keyword is still a field (`node: string`)", () => {
    const ds = check(pasted("escalated: bool = false", "    node: string?"));
    expect(codes(ds)).toEqual(["AWR6004"]); // never written or read: a field, not a stray node
  });

  it("a node left open (braces unbalanced) still ends at the next member: one diagnostic", () => {
    // `node decide {` with its `}` deleted.
    const text = ORIGINAL.replace(/(    timeout 2m\n)  \}\n/, "$1");
    expect(text).not.toBe(ORIGINAL);
    expect(codes(check(text))).toEqual(["AWR1002"]);
  });
});
