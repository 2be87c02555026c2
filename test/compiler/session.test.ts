// The incremental session (compiler/session.ts: declaration re-parse, per-module reuse in
// CheckCache, per-graph analysis reuse, lazy diagnostics) — the one the language server runs — must
// give exactly what a from-scratch `compile` gives: every example's files are set as texts, then
// random edits (identifier swaps, new and deleted declarations, imports, garbage, reverts) are
// applied to random files; after each one the session's diagnostics (whole program and per file),
// references and field references are compared with a fresh compile.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { ParseCache } from "../../compiler/semantic/load.js";
import { FileHost } from "../../host/source-host.js";
import { Session } from "../../compiler/session.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const projects = readdirSync(EXAMPLES)
  .map((d) => join(EXAMPLES, d))
  .filter((d) => readdirSync(d).includes("main.awr"));

class BufferHost extends FileHost {
  constructor(private readonly buffers: ReadonlyMap<string, string>) {
    super();
  }
  override read(file: string): string | undefined {
    return this.buffers.get(file) ?? super.read(file);
  }
}

const SNIPPETS = [
  "x",
  " ",
  "\n",
  "}",
  "{",
  "// c\n",
  '"',
  "\ntype Extra { a: int }\n",
  "\nenum Extra { a, b }\n",
  "\ntype Ticket { id: string }\n",
  "\nmodel extra { provider: \"openai\"\n name: \"m\" }\n",
  '\nimport "./types.awr"\n',
  "\ngraph g2(x: int) -> int {\n  node a { set y = 1 }\n  edge start -> a\n  edge a -> end\n  return x\n}\n",
  ".",
  "?",
  "!",
];

describe("incremental check", () => {
  it("equals a from-scratch compile after every one of 240 random edits, reusing most modules", () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % Math.max(1, n);
    };
    let reusedChecks = 0;
    let checks = 0;
    let movedChecks = 0;
    let reusedGraphs = 0;
    for (const dir of projects) {
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(".awr"))
        .map((f) => join(dir, f));
      const original = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
      const buffers = new Map(original);
      const session = new Session(() => new FileHost());
      for (const [f, t] of buffers) session.setText(f, t);
      const main = join(dir, "main.awr");
      // The reference compile parses from scratch (its own plain cache, unchanged files only).
      const parses = new ParseCache();
      const words = [...new Set([...original.values()].flatMap((t) => t.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []))];

      for (let i = 0; i < 240 / projects.length; i++) {
        const f = files[rand(files.length)]!;
        const text = buffers.get(f)!;
        const kind = rand(10);
        let next: string;
        if (kind < 4) {
          // Swap one identifier for another word of the project: breaks or re-targets a reference.
          const ids = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)];
          const m = ids[rand(ids.length)]!;
          next = text.slice(0, m.index) + words[rand(words.length)]! + text.slice(m.index + m[0].length);
        } else if (kind < 7) {
          const a = rand(text.length + 1);
          const b = Math.min(text.length, a + rand(4));
          next = text.slice(0, a) + SNIPPETS[rand(SNIPPETS.length)]! + text.slice(b);
        } else if (kind < 8) {
          const lines = text.split("\n");
          lines.splice(rand(lines.length), 1);
          next = lines.join("\n");
        } else next = original.get(f)!;
        buffers.set(f, next);
        session.setText(f, next);

        // The entry, and the edited file as an entry of its own program.
        for (const entry of new Set([main, f])) {
          const want = compile([entry], new BufferHost(buffers), { cache: parses });
          const got = session.analyse(entry);
          // Per file first (before the whole-program list exists), then the whole program.
          for (const m of want.program.modules.keys()) {
            expect(JSON.stringify(got.fileDiagnostics(m))).toBe(JSON.stringify(want.diagnostics.filter((d) => d.file === m)));
          }
          expect(JSON.stringify(got.diagnostics)).toBe(JSON.stringify(want.diagnostics));
          expect(JSON.stringify(got.check.references)).toBe(JSON.stringify(want.check.references));
          expect(JSON.stringify(got.check.fieldReferences)).toBe(JSON.stringify(want.check.fieldReferences));
        }
      }
      reusedChecks += session.checks!.stats.reused;
      movedChecks += session.checks!.stats.moved;
      checks += session.checks!.stats.checked;
      reusedGraphs += session.analysisStats.reused;
    }
    // Most module checks were reused, not redone.
    expect(reusedChecks).toBeGreaterThan(checks);
    // Among them declarations an edit before them moved (their results moved with them).
    expect(movedChecks).toBeGreaterThan(0);
    // And graph analyses were reused too.
    expect(reusedGraphs).toBeGreaterThan(0);
  });

  // Declarations after an edit are moved copies (new nodes at new offsets): their checks are the
  // old ones moved — diagnostics, their replace and insert fixes, references — not redone.
  it("reuses the checks of the declarations after a mid-file edit, moved, and equals compile", () => {
    const graph = (i: number) => `graph g${i}(p: Pri) -> int {
  state { n: int = 0 }
  node a { set n = ${i} }
  node b { set n = nn }
  edge start -> a
  edge a -> b when p == "low"
  edge b -> end
  return n
}
`;
    const file = "/virtual/moved/main.awr";
    let text = `enum Pri { low, high }\n\n${Array.from({ length: 12 }, (_, i) => graph(i)).join("\n")}`;
    const session = new Session(() => new FileHost());
    const compare = () => {
      const want = compile([file], new BufferHost(new Map([[file, text]])));
      const got = session.analyse(file);
      expect(JSON.stringify(got.fileDiagnostics(file))).toBe(JSON.stringify(want.diagnostics));
      expect(JSON.stringify(got.check.references)).toBe(JSON.stringify(want.check.references));
      expect(JSON.stringify(got.check.fieldReferences)).toBe(JSON.stringify(want.check.fieldReferences));
      return want;
    };
    session.setText(file, text);
    const first = compare();
    // Each graph has an AWR2001 with a replace fix and an AWR3005 with an insert fix.
    expect(first.diagnostics.filter((d) => d.fixes?.[0]?.kind === "insert")).toHaveLength(12);
    expect(first.diagnostics.filter((d) => d.fixes?.[0]?.kind === "replace")).toHaveLength(12);
    const stats = session.checks!.stats;
    const third = text.indexOf("set n = 2");
    const edits: [string, (t: string) => string][] = [
      ["a digit typed in the third graph", (t) => t.slice(0, third + 8) + "1" + t.slice(third + 8)],
      ["another", (t) => t.slice(0, third + 8) + "1" + t.slice(third + 8)],
      ["its closing brace deleted (a syntax error)", (t) => t.replace("set n = 112 }", "set n = 112 ")],
      ["typed again", (t) => t.replace("set n = 112 \n", "set n = 112 }\n")],
      ["two digits deleted", (t) => t.replace("set n = 112 }", "set n = 2 }")],
    ];
    for (const [, edit] of edits) {
      const before = { ...stats };
      text = edit(text);
      session.setText(file, text);
      compare();
      // The edited graph alone is checked again (the syntax error splits it in two); the 9 after it move.
      expect(stats.checked - before.checked).toBeLessThanOrEqual(2);
      expect(stats.moved - before.moved).toBe(9);
    }
  });
});

describe("a session's texts over the disk host", () => {
  const dir = mkdtempSync(join(tmpdir(), "awr-session-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, "a.awr");
  const b = join(dir, "b.awr");
  // Errors only (a module's unused types are warnings, AWR6001).
  const codes = (s: Session) => s.analyse(a).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);

  it("resolves an import of a file that exists only as a text (an unsaved new buffer)", () => {
    const session = new Session(() => new FileHost());
    session.setText(a, 'import "./b.awr"\ntype A { b: B }\n');
    expect(codes(session)).toContain("AWR2003"); // b.awr is neither on disk nor a text
    session.setText(b, "type B { x: int }\n");
    expect(codes(session)).toEqual([]);
    expect(session.analyse(a).program.modules.has(b)).toBe(true);
    expect(session.importsOf(a)).toEqual([b]);
  });

  it("reads the disk again after diskChanged, and when a text is dropped", () => {
    writeFileSync(b, "type B { x: int }\n");
    const session = new Session(() => new FileHost());
    session.setText(a, 'import "./b.awr"\ntype A { b: B }\n');
    expect(codes(session)).toEqual([]);
    writeFileSync(b, "type C { x: int }\n");
    expect(codes(session)).toEqual([]); // the host caches its reads until told
    session.diskChanged();
    expect(codes(session)).toContain("AWR2010"); // unknown type B
    session.setText(b, "type B { x: int }\n");
    expect(codes(session)).toEqual([]);
    session.setText(b, undefined); // closed unsaved: the disk's text again
    expect(codes(session)).toContain("AWR2010"); // unknown type B
  });
});
