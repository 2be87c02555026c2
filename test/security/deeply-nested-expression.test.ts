// Attack: an expression nested 5,000 levels — parentheses, lists, `1 + 1 + …`, `a.b.c…` — would
// overflow the recursive descent parser's (and every later pass's) stack. The parser's own limits
// (64 brackets, 256 levels of expression) turn each into AWR1002 on that declaration; `compile`
// never throws and the rest of the file is still checked.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { memoryHost } from "../helpers/memory-host.js";

const graph = (expr: string) => `graph g(x: int) -> int {
  state { y: json? }
  node n { set y = ${expr} }
  edge start -> n
  edge n -> end
  return 0
}
type Fine { a: strin }
`;

const CASES: [string, string][] = [
  ["parentheses", `${"(".repeat(5000)}1${")".repeat(5000)}`],
  ["lists", `${"[".repeat(5000)}1${"]".repeat(5000)}`],
  ["a chain of +", `1${" + 1".repeat(5000)}`],
  ["a chain of field accesses", `x${".a".repeat(5000)}`],
  ["unary minus", `${"-".repeat(5000)}1`],
];

describe("deeply nested expressions", () => {
  for (const [what, expr] of CASES) {
    it(`${what}, 5,000 deep: AWR1002 on that declaration, the next one still checked`, () => {
      const d = compile(["main.awr"], memoryHost({ "main.awr": graph(expr) })).diagnostics;
      expect(d.some((x) => x.code === "AWR1002" && /nest/.test(x.message))).toBe(true);
      // The declaration after it is checked: its unknown type is reported.
      expect(d.some((x) => x.code === "AWR2010")).toBe(true);
    });
  }
});
