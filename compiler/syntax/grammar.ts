import { CstParser, type IToken, type TokenType } from "./chevrotain.js";
import * as T from "./lexer.js";

// A pure CstParser: no embedded actions; every ordered list of body items is wrapped in its own rule
// (`bodyItem`, `postfixOp`, ...) so that the CST keeps source order; the AST is built by cst-to-ast.ts.
// Items of a body are separated by newlines or commas, both optional (`sep`).

export class AwrGrammar extends CstParser {
  /**
   * `validate`: chevrotain's grammar validations (ambiguities, left recursion, unreachable
   * alternatives). They cost about a third of building the parser, which every cold `awr` command
   * that parses pays (docs/performance.md § Cold starts), and they cannot find anything a build
   * did not: the grammar is fixed. test/compiler/grammar.test.ts builds it validated.
   */
  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "full", skipValidations: !validate });
    this.performSelfAnalysis();
  }

  /**
   * A half-written line (`run f(ticket.` or `edge a ->`) must not swallow the statement keyword
   * that starts the next line: names that begin a statement are not taken across a line break.
   */
  private startsNextLine(): boolean {
    const next = this.LA(1);
    const prev = this.LA(0);
    return STATEMENT_STARTS.has(next.tokenType) && (next.startLine ?? 0) > (prev.endLine ?? prev.startLine ?? 0);
  }

  private sep() {
    this.OPTION9(() => this.CONSUME9(T.Comma));
  }

  public declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.typeDecl) },
      { ALT: () => this.SUBRULE(this.enumDecl) },
      { ALT: () => this.SUBRULE(this.propsDecl) },
      { ALT: () => this.SUBRULE(this.contextDecl) },
      { ALT: () => this.SUBRULE(this.policyDecl) },
      { ALT: () => this.SUBRULE(this.graphDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]);
  });

  public name = this.RULE("name", () => {
    this.CONSUME(T.AnyName);
  });

  private importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  // ---------------------------------------------------------------- types
  private typeDecl = this.RULE("typeDecl", () => {
    this.CONSUME(T.Type);
    this.SUBRULE(this.name);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Eq);
          this.SUBRULE(this.typeExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.fieldBody) },
    ]);
  });

  private fieldBody = this.RULE("fieldBody", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.field);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private field = this.RULE("field", () => {
    this.SUBRULE(this.name);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.MANY(() => this.SUBRULE(this.attribute));
    this.OPTION(() => {
      this.CONSUME(T.Eq);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  private attribute = this.RULE("attribute", () => {
    this.CONSUME(T.At);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.SUBRULE(this.argList);
      this.CONSUME(T.RParen);
    });
  });

  private params = this.RULE("params", () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.SUBRULE(this.field);
      this.sep();
    });
    this.CONSUME(T.RParen);
  });

  private signature = this.RULE("signature", () => {
    this.OPTION(() => this.SUBRULE(this.params));
    this.OPTION2(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.typeExpr);
    });
  });

  public typeExpr = this.RULE("typeExpr", () => {
    this.SUBRULE(this.optionalType);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.optionalType);
    });
  });

  private optionalType = this.RULE("optionalType", () => {
    this.SUBRULE(this.primaryType);
    this.MANY(() => this.CONSUME(T.Question));
  });

  private primaryType = this.RULE("primaryType", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.name);
          this.OPTION(() => {
            this.CONSUME(T.Lt);
            this.SUBRULE(this.typeExpr);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.typeExpr);
            });
            this.CONSUME(T.Gt);
          });
        },
      },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE3(this.typeExpr);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  private enumDecl = this.RULE("enumDecl", () => {
    this.CONSUME(T.Enum);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE2(this.name, { LABEL: "member" });
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  // ---------------------------------------------------------------- property declarations
  /** model / tool / prompt / agent: `kind name (params)? (-> Type)? { properties }` */
  private propsDecl = this.RULE("propsDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Model, { LABEL: "kw" }) },
      { ALT: () => this.CONSUME(T.Tool, { LABEL: "kw" }) },
      { ALT: () => this.CONSUME(T.Prompt, { LABEL: "kw" }) },
      { ALT: () => this.CONSUME(T.Agent, { LABEL: "kw" }) },
    ]);
    this.SUBRULE(this.name);
    this.SUBRULE(this.signature);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.property);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private property = this.RULE("property", () => {
    this.SUBRULE(this.name);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.CONSUME(T.Template) },
      { ALT: () => this.SUBRULE(this.recordExpr) },
    ]);
  });

  private contextDecl = this.RULE("contextDecl", () => {
    this.CONSUME(T.Context);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.contextItem);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private contextItem = this.RULE("contextItem", () => {
    this.OR([
      {
        GATE: () => this.LA(1).tokenType === T.Source && this.LA(3).tokenType === T.Eq,
        ALT: () => this.SUBRULE(this.contextSource),
      },
      { ALT: () => this.SUBRULE(this.property) },
    ]);
  });

  private contextSource = this.RULE("contextSource", () => {
    this.CONSUME(T.Source);
    this.SUBRULE(this.name);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expression);
    this.OPTION(() => this.SUBRULE(this.recordExpr));
  });

  // ---------------------------------------------------------------- policies
  private policyDecl = this.RULE("policyDecl", () => {
    this.CONSUME(T.Policy);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.policyHook);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private policyHook = this.RULE("policyHook", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Before, { LABEL: "phase" }) }, { ALT: () => this.CONSUME(T.After, { LABEL: "phase" }) }]);
    this.SUBRULE(this.name, { LABEL: "target" });
    this.OPTION(() =>
      this.OR2([
        {
          GATE: () => this.LA(1).tokenType === T.Tagged && this.LA(2).tokenType !== T.LCurly,
          ALT: () => {
            this.CONSUME(T.Tagged);
            this.SUBRULE(this.dottedName);
          },
        },
        { ALT: () => this.SUBRULE2(this.name, { LABEL: "selector" }) },
      ]),
    );
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.policyRule);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private dottedName = this.RULE("dottedName", () => {
    this.SUBRULE(this.name);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.SUBRULE2(this.name);
    });
  });

  private policyRule = this.RULE("policyRule", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Deny, { LABEL: "action" }) },
      { ALT: () => this.CONSUME(T.Allow, { LABEL: "action" }) },
      { ALT: () => this.CONSUME(T.Approve, { LABEL: "action" }) },
      {
        ALT: () => {
          this.CONSUME(T.Redact, { LABEL: "action" });
          this.SUBRULE(this.name, { LABEL: "kind" });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.name, { LABEL: "kind" });
          });
        },
      },
      {
        // `transform input.a.b = expr`: the path is checked by the checker (AWR5007).
        ALT: () => {
          this.CONSUME(T.Transform, { LABEL: "action" });
          this.SUBRULE(this.dottedName, { LABEL: "path" });
          this.CONSUME(T.Eq);
          this.SUBRULE3(this.expression, { LABEL: "value" });
        },
      },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expression, { LABEL: "when" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Because);
      this.SUBRULE2(this.expression, { LABEL: "because" });
    });
  });

  // ---------------------------------------------------------------- graphs
  private graphDecl = this.RULE("graphDecl", () => {
    this.CONSUME(T.Graph);
    this.SUBRULE(this.name);
    this.SUBRULE(this.signature);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.graphMember);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private graphMember = this.RULE("graphMember", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.stateBlock) },
      { ALT: () => this.SUBRULE(this.nodeDecl) },
      { ALT: () => this.SUBRULE(this.edgeDecl) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
    ]);
  });

  private stateBlock = this.RULE("stateBlock", () => {
    this.CONSUME(T.State);
    this.CONSUME(T.LCurly);
    // A node, edge or return line pasted into the state block: as in a node (`nodeDecl`), a stray
    // member of the graph. `node: string` is a field (keywords are soft), `node x { ... }` is not.
    this.MANY({
      GATE: () => !this.memberLineAhead() || this.strayMemberAhead(),
      DEF: () => {
        this.OR({
          IGNORE_AMBIGUITIES: true,
          DEF: [
            { GATE: () => this.memberLineAhead(), ALT: () => this.SUBRULE(this.graphMember, { LABEL: "stray" }) },
            { ALT: () => this.SUBRULE(this.field) },
          ],
        });
        this.sep();
      },
    });
    this.CONSUME(T.RCurly);
  });

  /** A graph member's keyword followed by something other than the `:` of a field. */
  private memberLineAhead(): boolean {
    return GRAPH_MEMBER_STARTS.has(this.LA(1).tokenType) && this.LA(2).tokenType !== T.Colon;
  }

  /** A complete graph member ahead, in a declaration whose braces balance (see `nodeDecl`). */
  private strayMemberAhead(): boolean {
    return this.bracesBalance() && this.BACKTRACK(this.graphMember).call(this);
  }

  private nodeDecl = this.RULE("nodeDecl", () => {
    this.CONSUME(T.Node);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY({
      // A graph member inside a node (a `node`, `edge`, `state` or `return` line pasted in the wrong
      // place) is taken as a stray member of the node when the declaration's braces balance and the
      // member parses without an error: the line is then complete and the node goes on after it. Ending the node there instead would
      // let the node's own `}` end the graph and lose everything after it (one wrong line, a dozen
      // diagnostics). With unbalanced braces a `{` is missing — most likely the node was never
      // closed — and the node ends before the member as before. cst-to-ast.ts reports the stray
      // member (AWR1002) and moves it into the graph.
      // `node name` alone on its line (a node being typed in the wrong place) is skipped the same way.
      GATE: () =>
        !GRAPH_MEMBER_STARTS.has(this.LA(1).tokenType) ||
        (this.bracesBalance() && this.strayNodeHeadAhead()) ||
        this.strayMemberAhead(),
      DEF: () => {
        this.OR({
          IGNORE_AMBIGUITIES: true,
          DEF: [
            { ALT: () => this.SUBRULE(this.nodeStmt) },
            { GATE: () => this.strayNodeHeadAhead(), ALT: () => this.SUBRULE(this.strayNodeHead) },
            { ALT: () => this.SUBRULE(this.graphMember, { LABEL: "stray" }) },
          ],
        });
        this.sep();
      },
    });
    this.CONSUME(T.RCurly);
  });

  private strayNodeHead = this.RULE("strayNodeHead", () => {
    this.CONSUME(T.Node);
    this.SUBRULE(this.name);
  });

  /** `node name` with nothing after it on its line (and no `{` on the next). */
  private strayNodeHeadAhead(): boolean {
    const [node, name, next] = [this.LA(1), this.LA(2), this.LA(3)];
    return (
      node.tokenType === T.Node &&
      (name.tokenType === T.Identifier || T.keywordTokens.includes(name.tokenType)) &&
      next.tokenType !== T.LCurly &&
      (next.tokenType.name === "EOF" || (next.startLine ?? 0) > (name.endLine ?? name.startLine ?? 0))
    );
  }

  private balanceOf?: { input: IToken[]; balanced: boolean };

  /** Whether the input (one declaration) has as many `}` as `{` (counted once per input). */
  private bracesBalance(): boolean {
    const input = this.input;
    if (this.balanceOf?.input !== input) {
      let depth = 0;
      for (const t of input) {
        if (t.tokenType === T.LCurly) depth++;
        else if (t.tokenType === T.RCurly) depth--;
      }
      this.balanceOf = { input, balanced: depth === 0 };
    }
    return this.balanceOf.balanced;
  }

  private writeTarget = this.RULE("writeTarget", () => {
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.name);
  });

  private nodeStmt = this.RULE("nodeStmt", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Run);
          this.SUBRULE(this.expression, { LABEL: "call" });
          this.OPTION(() => this.SUBRULE(this.writeTarget));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Map);
          this.SUBRULE(this.name, { LABEL: "variable" });
          this.CONSUME(T.In);
          this.SUBRULE2(this.expression, { LABEL: "source" });
          this.OPTION2(() => {
            this.CONSUME(T.Concurrency);
            this.SUBRULE3(this.expression, { LABEL: "concurrency" });
          });
          this.CONSUME2(T.Run);
          this.SUBRULE4(this.expression, { LABEL: "call" });
          this.OPTION3(() => this.SUBRULE2(this.writeTarget));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Await);
          this.SUBRULE5(this.expression, { LABEL: "call" });
          this.OPTION4(() => this.SUBRULE3(this.writeTarget));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Set);
          this.SUBRULE2(this.name, { LABEL: "target" });
          this.CONSUME(T.Eq);
          this.SUBRULE6(this.expression, { LABEL: "value" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Retry);
          this.SUBRULE7(this.expression, { LABEL: "value" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Timeout);
          this.SUBRULE8(this.expression, { LABEL: "value" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.On);
          this.CONSUME(T.ErrorKw);
          this.CONSUME(T.Arrow);
          this.SUBRULE3(this.name, { LABEL: "target" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Compensate);
          this.SUBRULE9(this.expression, { LABEL: "call" });
        },
      },
    ]);
  });

  private edgeEnds = this.RULE("edgeEnds", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LSquare);
          this.OPTION(() => {
            this.SUBRULE(this.name);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.name);
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          });
          this.CONSUME(T.RSquare);
        },
      },
      { GATE: () => !this.startsNextLine(), ALT: () => this.SUBRULE3(this.name) },
    ]);
  });

  private edgeDecl = this.RULE("edgeDecl", () => {
    this.CONSUME(T.Edge);
    this.SUBRULE(this.edgeEnds, { LABEL: "from" });
    this.CONSUME(T.Arrow);
    this.SUBRULE2(this.edgeEnds, { LABEL: "to" });
    this.OPTION(() =>
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.When);
            this.SUBRULE(this.expression, { LABEL: "when" });
          },
        },
        { ALT: () => this.CONSUME(T.Otherwise) },
      ]),
    );
    this.OPTION2(() => {
      this.CONSUME(T.Max);
      this.SUBRULE2(this.expression, { LABEL: "max" });
    });
  });

  private returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression);
  });

  // ---------------------------------------------------------------- tests
  private testDecl = this.RULE("testDecl", () => {
    this.CONSUME(T.Test);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.testStmt);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private testStmt = this.RULE("testStmt", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Run);
          this.SUBRULE(this.expression, { LABEL: "call" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Mock);
          this.SUBRULE(this.name, { LABEL: "target" });
          this.CONSUME(T.FatArrow);
          this.SUBRULE2(this.expression, { LABEL: "value" });
          this.MANY(() => {
            this.CONSUME(T.Then);
            this.SUBRULE3(this.expression, { LABEL: "value" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Expect);
          this.SUBRULE4(this.expression, { LABEL: "expect" });
        },
      },
      {
        // `principal { id: "u1", roles: [...], attrs: {...} }`: a soft word (policies read `principal.roles`).
        GATE: () => this.LA(1).image === "principal",
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "principalKw" });
          this.SUBRULE5(this.expression, { LABEL: "principal" });
        },
      },
    ]);
  });

  // ---------------------------------------------------------------- expressions
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.orExpr);
  });

  // One rule per precedence level, loosest first; operands and operators keep their order
  // under the labels `operand` and `op`.
  private binaryLevel(name: string, next: () => (idx?: number) => unknown, ops: TokenType[]) {
    return this.RULE(name, () => {
      this.SUBRULE(next() as never, { LABEL: "operand" });
      this.MANY(() => {
        this.OR(ops.map((t) => ({ ALT: () => this.CONSUME(t, { LABEL: "op" }) })));
        this.SUBRULE2(next() as never, { LABEL: "operand" });
      });
    });
  }
  // `??` binds tighter than comparisons (as in Swift and Kotlin): `reply ?? "" != ""` compares the
  // defaulted value.
  private orExpr = this.binaryLevel("orExpr", () => this.andExpr, [T.OrOr]);
  private andExpr = this.binaryLevel("andExpr", () => this.eqExpr, [T.AndAnd]);
  private eqExpr = this.binaryLevel("eqExpr", () => this.relExpr, [T.EqEq, T.NotEq]);
  private relExpr = this.binaryLevel("relExpr", () => this.coalesceExpr, [T.LtEq, T.GtEq, T.Lt, T.Gt, T.In]);
  private coalesceExpr = this.binaryLevel("coalesceExpr", () => this.addExpr, [T.QQ]);
  private addExpr = this.binaryLevel("addExpr", () => this.mulExpr, [T.Plus, T.Minus]);
  private mulExpr = this.binaryLevel("mulExpr", () => this.unary, [T.Star, T.Slash, T.Percent]);

  private unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Bang, { LABEL: "op" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "op" }) }]);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  private postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.postfixOp));
  });

  private postfixOp = this.RULE("postfixOp", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.OPTION({ GATE: () => !this.startsNextLine(), DEF: () => this.SUBRULE(this.name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.QDot);
          this.OPTION2({ GATE: () => !this.startsNextLine(), DEF: () => this.SUBRULE2(this.name) });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LSquare);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RSquare);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.argList);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.CONSUME(T.Bang) },
    ]);
  });

  private argList = this.RULE("argList", () => {
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.arg);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
  });

  private arg = this.RULE("arg", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.SUBRULE(this.name);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression);
  });

  private primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.Duration) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.CONSUME(T.Template) },
      { ALT: () => this.SUBRULE(this.name) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.listExpr) },
      { ALT: () => this.SUBRULE(this.recordExpr) },
    ]);
  });

  private listExpr = this.RULE("listExpr", () => {
    this.CONSUME(T.LSquare);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RSquare);
  });

  public recordExpr = this.RULE("recordExpr", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.recordField);
      this.sep();
    });
    this.CONSUME(T.RCurly);
  });

  private recordField = this.RULE("recordField", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.name) }, { ALT: () => this.CONSUME(T.StringLiteral) }]);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });
}

const GRAPH_MEMBER_STARTS = new Set<TokenType>([T.State, T.Node, T.Edge, T.Return]);

const STATEMENT_STARTS = new Set<TokenType>([
  ...T.declarationKeywords,
  T.State, T.Node, T.Edge, T.Return, T.Run, T.Map, T.Await, T.Set, T.Retry, T.Timeout, T.On, T.Compensate,
  T.Mock, T.Expect, T.Before, T.After, T.Deny, T.Allow, T.Approve, T.Redact, T.Source,
]);

export const grammar = new AwrGrammar();
export type { IToken };
