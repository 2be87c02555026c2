import { Lexer, createToken, type IToken, type TokenType } from "./chevrotain.js";

// Tokens first (chevrotain style). Keywords are *soft*: they belong to the `AnyName` category, so
// wherever the grammar expects a name (field, property key, member, node name, variable) a keyword
// is accepted too (`model: fast`, `state.notes`, `@reduce(max)`). Only `true`, `false` and `null`
// are reserved.

export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [AnyName],
  label: "a name",
});

const keyword = (word: string) =>
  createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [AnyName],
    label: `'${word}'`,
  });

export const Import = keyword("import");
export const Type = keyword("type");
export const Enum = keyword("enum");
export const Model = keyword("model");
export const Tool = keyword("tool");
export const Prompt = keyword("prompt");
export const Agent = keyword("agent");
export const Context = keyword("context");
export const Policy = keyword("policy");
export const Graph = keyword("graph");
export const Test = keyword("test");
export const State = keyword("state");
export const Node = keyword("node");
export const Edge = keyword("edge");
export const Return = keyword("return");
export const Run = keyword("run");
export const Map = keyword("map");
export const In = keyword("in");
export const Concurrency = keyword("concurrency");
export const Await = keyword("await");
export const Set = keyword("set");
export const Retry = keyword("retry");
export const Timeout = keyword("timeout");
export const On = keyword("on");
export const ErrorKw = createToken({
  name: "ErrorKw",
  pattern: /error/,
  longer_alt: Identifier,
  categories: [AnyName],
  label: "'error'",
});
export const Compensate = keyword("compensate");
export const When = keyword("when");
export const Otherwise = keyword("otherwise");
export const Max = keyword("max");
export const Mock = keyword("mock");
export const Then = keyword("then");
export const Expect = keyword("expect");
export const Before = keyword("before");
export const After = keyword("after");
export const Tagged = keyword("tagged");
export const Deny = keyword("deny");
export const Allow = keyword("allow");
export const Approve = keyword("approve");
export const Redact = keyword("redact");
export const Transform = keyword("transform");
export const Because = keyword("because");
export const Source = keyword("source");

export const True = createToken({ name: "True", pattern: /true/, longer_alt: Identifier, label: "'true'" });
export const False = createToken({ name: "False", pattern: /false/, longer_alt: Identifier, label: "'false'" });
export const Null = createToken({ name: "Null", pattern: /null/, longer_alt: Identifier, label: "'null'" });

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/[^\n]*/, group: "comments" });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true });
/** An unterminated `/*` swallows the rest of the file; reported as AWR1003. */
export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

export const Template = createToken({ name: "Template", pattern: /#"[\s\S]*?"#/, line_breaks: true, label: "a template string" });
/** An unterminated `#"` runs to the next line that starts a declaration (or the end of the file). */
const NEXT_DECLARATION = /\n(?=(?:import|type|enum|model|tool|prompt|agent|context|policy|graph|test)\b)/g;
export const UnterminatedTemplate = createToken({
  name: "UnterminatedTemplate",
  pattern: {
    exec(text: string, offset: number): RegExpExecArray | null {
      if (!text.startsWith('#"', offset)) return null;
      NEXT_DECLARATION.lastIndex = offset;
      const m = NEXT_DECLARATION.exec(text);
      const end = m ? m.index : text.length;
      const r = [text.slice(offset, end)] as unknown as RegExpExecArray;
      return r;
    },
  },
  start_chars_hint: ["#"],
  line_breaks: true,
  label: "a template string",
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "a string" });
export const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*/, label: "a string" });
export const Duration = createToken({ name: "Duration", pattern: /\d+(?:\.\d+)?(?:ms|s|m|h)(?![A-Za-z0-9_])/, label: "a duration" });
/** `30sec`, `5min`: a number glued to a name; reported as a malformed duration (AWR1005). */
export const BadDuration = createToken({ name: "BadDuration", pattern: /\d+(?:\.\d+)?(?![eE][+-]?\d)[A-Za-z_][A-Za-z0-9_]*/, label: "a duration" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, label: "a number" });

const punct = (name: string, pattern: RegExp, label: string) => createToken({ name, pattern, label: `'${label}'` });
export const Arrow = punct("Arrow", /->/, "->");
export const FatArrow = punct("FatArrow", /=>/, "=>");
export const EqEq = punct("EqEq", /==/, "==");
export const NotEq = punct("NotEq", /!=/, "!=");
export const LtEq = punct("LtEq", /<=/, "<=");
export const GtEq = punct("GtEq", />=/, ">=");
export const AndAnd = punct("AndAnd", /&&/, "&&");
export const OrOr = punct("OrOr", /\|\|/, "||");
export const QQ = punct("QQ", /\?\?/, "??");
export const QDot = punct("QDot", /\?\./, "?.");
export const Question = punct("Question", /\?/, "?");
export const Bang = punct("Bang", /!/, "!");
export const Lt = punct("Lt", /</, "<");
export const Gt = punct("Gt", />/, ">");
export const Eq = punct("Eq", /=/, "=");
export const Plus = punct("Plus", /\+/, "+");
export const Minus = punct("Minus", /-/, "-");
export const Star = punct("Star", /\*/, "*");
export const Slash = punct("Slash", /\//, "/");
export const Percent = punct("Percent", /%/, "%");
export const LParen = punct("LParen", /\(/, "(");
export const RParen = punct("RParen", /\)/, ")");
export const LCurly = punct("LCurly", /\{/, "{");
export const RCurly = punct("RCurly", /\}/, "}");
export const LSquare = punct("LSquare", /\[/, "[");
export const RSquare = punct("RSquare", /\]/, "]");
export const Comma = punct("Comma", /,/, ",");
export const Colon = punct("Colon", /:/, ":");
export const Dot = punct("Dot", /\./, ".");
export const At = punct("At", /@/, "@");
export const Pipe = punct("Pipe", /\|/, "|");

export const keywordTokens: TokenType[] = [
  Import, Type, Enum, Model, Tool, Prompt, Agent, Context, Policy, Graph, Test, State, Node, Edge, Return, Run, Map,
  In, Concurrency, Await, Set, Retry, Timeout, On, ErrorKw, Compensate, When, Otherwise, Max, Mock, Then, Expect,
  Before, After, Tagged, Deny, Allow, Approve, Redact, Transform, Because, Source,
];

/** Keywords that begin a top-level declaration (the parser resynchronises on them). */
export const declarationKeywords: TokenType[] = [Import, Type, Enum, Model, Tool, Prompt, Agent, Context, Policy, Graph, Test];

export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  Template,
  UnterminatedTemplate,
  StringLiteral,
  UnterminatedString,
  Duration,
  BadDuration,
  NumberLiteral,
  Arrow,
  FatArrow,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  AndAnd,
  OrOr,
  QQ,
  QDot,
  Question,
  Bang,
  Lt,
  Gt,
  Eq,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  LParen,
  RParen,
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  Comma,
  Colon,
  Dot,
  At,
  Pipe,
  True,
  False,
  Null,
  ...keywordTokens,
  Identifier,
  AnyName,
];

/**
 * `validate`: chevrotain's checks of the token definitions (patterns, ambiguities, line
 * terminators). They are two thirds of building the lexer, paid by every cold `awr` command that
 * parses (docs/performance.md § Cold starts), and the tokens are fixed at build time:
 * test/compiler/grammar.test.ts builds the lexer validated.
 */
export function makeLexer(validate = false): Lexer {
  return new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false, skipValidations: !validate });
}

export const awrLexer = makeLexer();

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  /** Characters no token matches: offset and length. */
  errors: { offset: number; length: number }[];
}

export function lex(text: string): LexResult {
  const r = awrLexer.tokenize(text);
  return {
    tokens: r.tokens,
    comments: r.groups["comments"] ?? [],
    errors: r.errors.map((e) => ({ offset: e.offset, length: e.length })),
  };
}
