// Property: for generated programs — random expressions (precedence, parentheses, postfix chains,
// soft keywords as names), random layout (commas or newlines, extra blank lines) and random
// comments (also after `then` and `because`, issue 15) — formatting never changes the AST, is
// idempotent and keeps every comment.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withoutSpans } from "../../compiler/format/ast-equal.js";
import { formatSource } from "../../compiler/format/print.js";
import { parse } from "../../compiler/syntax/parser.js";

const name = fc.constantFrom("a", "b", "xs", "ticket", "state", "model", "type", "max", "run", "error", "in_x", "test");
const literal = fc.oneof(
  fc.integer({ min: 0, max: 5000 }).map(String),
  fc.constantFrom("0.60", "1e3", "2.5E-2", "5s", "250ms", "1.5h", "true", "false", "null", '"s"', '"q\\"x\\n"', '""', '#"t {{ a }}  u"#'),
);
const binaryOp = fc.constantFrom("||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "??", "+", "-", "*", "/", "%");

const { expr } = fc.letrec<{ expr: string; args: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    name,
    fc.tuple(tie("expr"), binaryOp, tie("expr")).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(fc.constantFrom("!", "-"), tie("expr")).map(([op, x]) => `${op}${x}`),
    fc.tuple(tie("expr"), fc.constantFrom(".", "?."), name).map(([x, dot, n]) => `${x}${dot}${n}`),
    fc.tuple(tie("expr"), tie("expr")).map(([x, i]) => `${x}[${i}]`),
    tie("expr").map((x) => `${x}!`),
    fc.tuple(name, tie("args")).map(([f, args]) => `${f}(${args})`),
    fc.array(tie("expr"), { maxLength: 4 }).map((xs) => `[${xs.join(", ")}]`),
    fc.array(fc.tuple(fc.oneof(name, fc.constant('"quoted key"')), tie("expr")), { maxLength: 4 }).map(
      (fs) => `{ ${fs.map(([k, v]) => `${k}: ${v}`).join(", ")} }`,
    ),
    tie("expr").map((x) => `(${x})`),
  ),
  args: fc
    .array(fc.tuple(fc.option(name, { nil: undefined }), tie("expr")), { maxLength: 4 })
    .map((as) => as.map(([n, v]) => (n ? `${n}: ${v}` : v)).join(", ")),
}));

const sep = fc.constantFrom("\n  ", ", ", " ", "\n\n\n  ");
const comment = fc.constantFrom("", "", " // note", " /* block */", "\n  // own line\n ");

const program = fc
  .record({
    e: fc.array(expr, { minLength: 6, maxLength: 6 }),
    s: fc.array(sep, { minLength: 6, maxLength: 6 }),
    c: fc.array(comment, { minLength: 11, maxLength: 11 }),
  })
  .map(
    ({ e, s, c }) => `/// Doc.${c[0]}
type T { a: int${s[0]}b: list<string>? @maxItems(3) = []${c[1]}
}
enum E { low,${c[2]} high }
model m { provider: "openai"${s[1]}name: "x"${c[3]}
  temperature: ${e[0]}${s[2]}price { input: 0.15, output: 0.60 } }
graph g(a: int) -> any {
  node n { set x = ${e[1]}${s[3]}retry ${e[2]}${c[4]}
  }
  edge start -> n when ${e[3]} max 3${c[5]}
  return ${e[4]}
}
test t { run g(a: 1)${s[4]}expect ${e[5]}${c[6]}${s[5]}mock f => 1 then${c[8]}
  ${e[0]} }${c[7]}
policy p { before tool t { deny when ${e[1]} because${c[9]}
  "reason"${c[10]} } }
`,
  );

describe("formatting generated programs", () => {
  it("keeps the AST and every comment, and is idempotent (1,000 programs)", () => {
    let formatted = 0;
    fc.assert(
      fc.property(program, fc.constantFrom(100, 60, 30), (text, width) => {
        const before = parse("p.awr", text);
        fc.pre(!before.diagnostics.some((d) => d.severity === "error"));
        const r = formatSource("p.awr", text, { width });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        formatted++;
        expect(withoutSpans(parse("p.awr", r.text).module.decls)).toEqual(withoutSpans(before.module.decls));
        for (const c of before.module.comments) expect(r.text).toContain(c.text.trimEnd());
        const again = formatSource("p.awr", r.text, { width });
        expect(again.ok && again.text).toBe(r.text);
      }),
      { numRuns: 1000, seed: Number(process.env.FC_SEED ?? 20250101) },
    );
    expect(formatted).toBeGreaterThan(500);
  });
});
