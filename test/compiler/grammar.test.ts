// The parser and the lexer are built without chevrotain's validations at start-up
// (compiler/syntax/grammar.ts, lexer.ts: they cost a third of the parser's construction and two
// thirds of the lexer's); here they are built with them, so a change that introduces an ambiguity,
// left recursion, an unreachable alternative or a token pattern chevrotain cannot use still fails.
import { describe, expect, it } from "vitest";
import { AwrGrammar, grammar } from "../../compiler/syntax/grammar.js";
import { makeLexer } from "../../compiler/syntax/lexer.js";

describe("the grammar", () => {
  it("passes chevrotain's validations", () => {
    // Chevrotain throws "Parser Definition Errors detected" on any; none may be left deferred either.
    let built: AwrGrammar | undefined;
    expect(() => (built = new AwrGrammar(true))).not.toThrow();
    expect((built as unknown as { definitionErrors: unknown[] }).definitionErrors).toEqual([]);
  });

  it("is the same grammar at start-up, only not validated", () => {
    const rules = (g: AwrGrammar) => Object.keys(g.getGAstProductions()).sort();
    expect(rules(grammar)).toEqual(rules(new AwrGrammar(true)));
    expect(rules(grammar).length).toBeGreaterThan(40);
  });
});

describe("the lexer", () => {
  it("passes chevrotain's validations, without warnings", () => {
    const lexer = makeLexer(true) as unknown as { lexerDefinitionErrors: unknown[]; lexerDefinitionWarning: unknown[] };
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    expect(lexer.lexerDefinitionWarning).toEqual([]);
  });

  it("tokenizes the same with and without them", () => {
    const text = 'graph g(x: int) -> int {\n  state { n: int @reduce(sum) = 0 }\n  node a { set n = x + 1 }\n  edge start -> a\n  edge a -> end\n  return n\n}\n/// doc\nprompt p(t: string) -> string { model: m user #"Hi {{ t }}"# }';
    const names = (l: ReturnType<typeof makeLexer>) => l.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
    expect(names(makeLexer(false))).toEqual(names(makeLexer(true)));
    expect(names(makeLexer(false)).length).toBeGreaterThan(40);
  });
});
