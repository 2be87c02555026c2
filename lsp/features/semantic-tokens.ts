// Semantic tokens (full document). Two sources: the lexer gives every token its lexical class
// (keyword, string, number, comment, operator), and the AST overrides the names it knows — what a
// name declares or denotes (declarations by kind, parameters, state fields, fields, nodes, enum
// members, attributes, types). Soft keywords used as names are names, because the AST says so.
// Template text is a string; holes are lexed on their own so their expressions are tokenised too.
import type { SemanticTokens, SemanticTokensLegend, SemanticTokensParams } from "vscode-languageserver/node";
import type { IToken } from "chevrotain";
import { ast as A, lexer as L, BUILTIN_TYPE_NAMES, BUILTIN_FORMS, scopeAt, type CompileResult, type Local, type ModuleInfo } from "../../compiler/index.js";
import { type AnyNode, childrenOf } from "../ast-path.js";
import { uriToPath } from "../convert.js";
import type { Workspace } from "../workspace.js";

const TYPES = ["namespace", "type", "enum", "function", "method", "parameter", "variable", "property", "enumMember", "keyword", "comment", "string", "number", "operator", "decorator"] as const;
const MODIFIERS = ["declaration", "documentation", "defaultLibrary", "readonly"] as const;
type TokenType = (typeof TYPES)[number];
type Modifier = (typeof MODIFIERS)[number];

export const semanticTokensLegend: SemanticTokensLegend = { tokenTypes: [...TYPES], tokenModifiers: [...MODIFIERS] };

const TYPE_INDEX = new Map(TYPES.map((t, i) => [t, i]));
const MOD_BIT = new Map(MODIFIERS.map((m, i) => [m, 1 << i]));

/** How each declaration kind shows: standard token types, `readonly` for the configuration-like ones. */
const DECL_TOKEN: Record<A.DeclKind, [TokenType, Modifier[]]> = {
  TypeDecl: ["type", []],
  EnumDecl: ["enum", []],
  ToolDecl: ["function", []],
  PromptDecl: ["function", []],
  AgentDecl: ["function", []],
  GraphDecl: ["function", []],
  TestDecl: ["function", []],
  ModelDecl: ["variable", ["readonly"]],
  ContextDecl: ["variable", ["readonly"]],
  PolicyDecl: ["variable", ["readonly"]],
};

/** Names of the call-like forms the language gives meaning to (impls, backoffs, sources, awaits). */
const BUILTIN_CALLEES: ReadonlySet<string> = new Set<string>(BUILTIN_FORMS);

const KEYWORDS = new Set<unknown>([...L.keywordTokens, L.True, L.False, L.Null]);
const NUMBERS = new Set<unknown>([L.NumberLiteral, L.Duration, L.BadDuration]);
const STRINGS = new Set<unknown>([L.StringLiteral, L.UnterminatedString]);
const OPERATORS = new Set<unknown>([L.Arrow, L.FatArrow, L.EqEq, L.NotEq, L.LtEq, L.GtEq, L.AndAnd, L.OrOr, L.QQ, L.QDot, L.Question, L.Bang, L.Lt, L.Gt, L.Eq, L.Plus, L.Minus, L.Star, L.Slash, L.Percent, L.Pipe]);

interface Tok {
  start: number;
  end: number;
  type: TokenType;
  mods: Modifier[];
}

export function semanticTokens(ws: Workspace, params: SemanticTokensParams): SemanticTokens | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  return { data: encode(module, tokensOf(result, module)) };
}

/** Every token of the module, sorted, non-overlapping. */
export function tokensOf(result: CompileResult, module: ModuleInfo): Tok[] {
  const named = namesOf(result, module);
  const text = module.text;
  const out: Tok[] = [];
  const lexical = (toks: IToken[]) => {
    for (const k of toks) {
      const start = k.startOffset;
      const end = start + k.image.length;
      const n = named.get(start);
      if (n && n.end === end) {
        out.push(n);
        continue;
      }
      const tt = k.tokenType;
      if (tt === L.Template || tt === L.UnterminatedTemplate) template(start, end);
      else if (KEYWORDS.has(tt)) out.push({ start, end, type: "keyword", mods: [] });
      else if (NUMBERS.has(tt)) out.push({ start, end, type: "number", mods: [] });
      else if (STRINGS.has(tt)) out.push({ start, end, type: "string", mods: [] });
      else if (OPERATORS.has(tt)) out.push({ start, end, type: "operator", mods: [] });
      else if (tt === L.At) out.push({ start, end, type: "decorator", mods: [] });
      else if (tt === L.Identifier) out.push({ start, end, type: "variable", mods: [] });
    }
  };
  // Template text is a string; each hole's delimiters are operators and its inside is lexed anew.
  const template = (start: number, end: number) => {
    let at = start;
    for (const m of text.slice(start, end).matchAll(/\{\{([\s\S]*?)\}\}/g)) {
      const open = start + m.index;
      const close = open + m[0].length;
      if (open > at) out.push({ start: at, end: open, type: "string", mods: [] });
      out.push({ start: open, end: open + 2, type: "operator", mods: [] });
      lexical(L.lex(m[1]!).tokens.map((t) => ({ ...t, startOffset: t.startOffset + open + 2 })));
      out.push({ start: close - 2, end: close, type: "operator", mods: [] });
      at = close;
    }
    if (end > at) out.push({ start: at, end, type: "string", mods: [] });
  };
  lexical(L.lex(text).tokens);
  for (const c of module.ast.comments) out.push({ start: c.span.start, end: c.span.end, type: "comment", mods: c.kind === "doc" ? ["documentation"] : [] });
  for (const i of module.ast.imports) if (i.pathSpan.end > i.pathSpan.start) out.push({ start: i.pathSpan.start, end: i.pathSpan.end, type: "string", mods: [] });
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  const clean: Tok[] = [];
  let last = -1;
  for (const t of out) {
    if (t.start < last || t.end <= t.start) continue;
    clean.push(t);
    last = t.end;
  }
  return clean;
}

/** What each name of the module denotes, by start offset (from the AST and the checker). */
function namesOf(result: CompileResult, module: ModuleInfo): Map<number, Tok> {
  const file = module.file;
  const program = result.program;
  const out = new Map<number, Tok>();
  const put = (span: A.Span, type: TokenType, ...mods: Modifier[]) => {
    if (span.end > span.start) out.set(span.start, { start: span.start, end: span.end, type, mods });
  };
  const refs = new Map<number, string>();
  for (const r of result.check.references) if (r.file === file) refs.set(r.span.start, r.name);
  const declToken = (span: A.Span, name: string): boolean => {
    const sym = refs.has(span.start) ? program.scopes.get(file)?.get(refs.get(span.start)!) : undefined;
    const s = sym ?? program.scopes.get(file)?.get(name);
    if (!s) return false;
    const [type, mods] = DECL_TOKEN[s.decl.kind];
    put(span, type, ...mods);
    return true;
  };
  const enumMembers = new Set<string>();
  for (const s of program.scopes.get(file)?.values() ?? []) if (s.decl.kind === "EnumDecl") for (const m of s.decl.members) enumMembers.add(m.name);

  for (const d of module.ast.decls) {
    const [type, mods] = DECL_TOKEN[d.kind];
    put(d.name.span, type, "declaration", ...mods);
    let locals: Map<string, Local> | undefined;
    const localsOf = () => (locals ??= scopeAt(program, file, d).locals);
    const mapVars = new Map<A.Ident, A.MapStmt>();

    const visit = (n: AnyNode, parent: AnyNode | undefined) => {
      switch (n.kind) {
        case "Field": {
          const f = n as unknown as A.Field;
          const role: TokenType = parent?.kind === "TypeDecl" ? "property" : parent?.kind === "State" ? "variable" : "parameter";
          put(f.name.span, role, "declaration");
          break;
        }
        case "NamedType": {
          const t = n as unknown as A.NamedType;
          if (BUILTIN_TYPE_NAMES.includes(t.name.name)) put(t.name.span, "type", "defaultLibrary");
          else if (!declToken(t.name.span, t.name.name)) put(t.name.span, "type");
          break;
        }
        case "Attribute":
          put((n as unknown as A.Attribute).name.span, "decorator");
          break;
        case "Property":
          put((n as unknown as A.Property).key.span, "property");
          break;
        case "RecordField":
          put((n as unknown as A.RecordField).key.span, "property");
          break;
        case "Member":
          put((n as unknown as A.MemberExpr).name.span, "property");
          break;
        case "Arg": {
          const a = n as unknown as A.Arg;
          if (a.name) put(a.name.span, "parameter");
          break;
        }
        case "Node":
          put((n as unknown as A.NodeDecl).name.span, "method", "declaration");
          break;
        case "Edge": {
          const e = n as unknown as A.EdgeDecl;
          for (const id of [...e.from, ...e.to]) put(id.span, id.name === "start" || id.name === "end" ? "keyword" : "method");
          break;
        }
        case "OnError":
          put((n as unknown as A.OnErrorStmt).target.span, "method");
          break;
        case "Run":
        case "Await":
        case "Set": {
          const s = n as unknown as A.RunStmt | A.AwaitStmt | A.SetStmt;
          if (s.target) put(s.target.span, "variable");
          break;
        }
        case "Map": {
          const s = n as unknown as A.MapStmt;
          if (s.target) put(s.target.span, "variable");
          put(s.variable.span, "variable", "declaration");
          mapVars.set(s.variable, s);
          break;
        }
        case "ContextSource":
          put((n as unknown as A.ContextSource).name.span, "property", "declaration");
          break;
        case "PolicyHook": {
          const h = n as unknown as A.PolicyHook;
          if (h.selector?.kind === "name") declToken(h.selector.name.span, h.selector.name.name);
          else if (h.selector?.kind === "tagged") for (const m of module.text.slice(h.selector.tag.span.start, h.selector.tag.span.end).matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) put({ start: h.selector.tag.span.start + m.index, end: h.selector.tag.span.start + m.index + m[0].length }, "namespace");
          break;
        }
        case "PolicyRule":
          for (const k of (n as unknown as A.PolicyRule).kinds) put(k.span, "enumMember");
          break;
        case "TestMock": {
          const m = n as unknown as A.TestMock;
          if (!declToken(m.target.span, m.target.name)) put(m.target.span, "function", "defaultLibrary");
          break;
        }
        case "Call": {
          const c = n as unknown as A.CallExpr;
          if (c.callee.kind === "Name" && !refs.has(c.callee.span.start) && BUILTIN_CALLEES.has(c.callee.name)) put(c.callee.span, "function", "defaultLibrary");
          break;
        }
        case "Name": {
          const e = n as unknown as A.NameExpr;
          if (out.has(e.span.start)) break;
          if (refs.has(e.span.start) && declToken(e.span, e.name)) break;
          const local = localsOf().get(e.name);
          if (local) put(e.span, local.role === "parameter" ? "parameter" : "variable", ...(local.role === "builtin" ? (["defaultLibrary", "readonly"] as Modifier[]) : []));
          else if ([...mapVars.keys()].some((v) => v.name === e.name)) put(e.span, "variable");
          else if (enumMembers.has(e.name)) put(e.span, "enumMember");
          else if (declToken(e.span, e.name)) break;
          else put(e.span, "variable");
          break;
        }
        default:
          break;
      }
      if (n.kind === "EnumDecl") for (const m of (n as unknown as A.EnumDecl).members) put(m.span, "enumMember", "declaration");
      for (const c of childrenOf(n)) if (c !== (d.name as unknown as AnyNode)) visit(c, n);
    };
    visit(d as unknown as AnyNode, undefined);
  }
  return out;
}

/** LSP's relative encoding; tokens spanning lines (templates, block comments) are cut per line. */
function encode(module: ModuleInfo, toks: Tok[]): number[] {
  const data: number[] = [];
  const text = module.text;
  let prevLine = 0;
  let prevChar = 0;
  const emit = (start: number, end: number, t: Tok) => {
    if (end <= start) return;
    const p = module.lines.position(start);
    const line = p.line - 1;
    const char = p.column - 1;
    const mods = t.mods.reduce((m, x) => m | (MOD_BIT.get(x) ?? 0), 0);
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, end - start, TYPE_INDEX.get(t.type)!, mods);
    prevLine = line;
    prevChar = char;
  };
  for (const t of toks) {
    let at = t.start;
    for (;;) {
      const nl = text.indexOf("\n", at);
      if (nl < 0 || nl >= t.end) {
        emit(at, t.end, t);
        break;
      }
      emit(at, nl > at && text[nl - 1] === "\r" ? nl - 1 : nl, t);
      at = nl + 1;
    }
  }
  return data;
}
