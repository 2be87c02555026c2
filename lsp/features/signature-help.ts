// Signature help inside the argument list of a call: prompts, agents, tools and graphs (their
// parameters with types, attributes, defaults and docs) and the language's builtins (expression
// functions, impls, backoffs, sources, awaits, test intrinsics). The call is found from the tokens
// before the cursor, not the AST, so it works while the list is still unfinished (`run f(a, `);
// the active parameter is the named argument being written, else the number of commas before it.
import type { ParameterInformation, SignatureHelp, SignatureHelpParams, SignatureInformation } from "vscode-languageserver/node";
import { MarkupKind } from "vscode-languageserver/node";
import type { IToken } from "chevrotain";
import { docBefore, kindWord, lexer as L, type ast as A } from "../../compiler/index.js";
import { declAt } from "../ast-path.js";
import { toOffset, uriToPath } from "../convert.js";
import { fieldText } from "../describe.js";
import type { Workspace } from "../workspace.js";
import { builtinForm } from "../../compiler/index.js";

const OPEN = new Set<unknown>([L.LParen, L.LSquare, L.LCurly]);
const CLOSE = new Set<unknown>([L.RParen, L.RSquare, L.RCurly]);
/** Tokens after which `{` starts a record value (an argument), not a body. */
const BEFORE_RECORD = new Set<unknown>([L.LParen, L.Comma, L.Colon, L.LSquare, L.Eq, L.FatArrow]);

export function signatureHelp(ws: Workspace, params: SignatureHelpParams): SignatureHelp | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const module = result.program.modules.get(file);
  if (!module) return null;
  const offset = toOffset(module.lines, params.position);
  const from = declAt(module.ast, offset)?.span.start ?? 0;
  const call = enclosingCall(module.text, from, offset);
  if (!call) return null;

  const sym = result.program.scopes.get(file)?.get(call.callee);
  let sig: SignatureInformation;
  let names: string[];
  if (sym && "params" in sym.decl) {
    const d = sym.decl as A.ToolDecl | A.PromptDecl | A.AgentDecl | A.GraphDecl;
    const owner = result.program.modules.get(sym.file);
    const text = owner?.text ?? "";
    // The parser attaches `///` docs to type and state fields only; parameters' are read here.
    const docOf = (p: A.Field) => p.doc ?? (owner ? docBefore(p.span.start, owner.ast.comments, text) : undefined);
    const head = `${kindWord(d.kind)} ${d.name.name}(`;
    const parts = d.params.map((p) => fieldText(p, text));
    const returns = d.returns ? ` -> ${text.slice(d.returns.span.start, d.returns.span.end)}` : "";
    sig = {
      label: `${head}${parts.join(", ")})${returns}`,
      parameters: withOffsets(head.length, parts).map(([s, e], i) => {
        const p: ParameterInformation = { label: [s, e] };
        const doc = docOf(d.params[i]!);
        if (doc) p.documentation = { kind: MarkupKind.Markdown, value: doc };
        return p;
      }),
    };
    if (d.doc) sig.documentation = { kind: MarkupKind.Markdown, value: d.doc };
    names = d.params.map((p) => p.name.name);
  } else {
    const b = builtinForm(call.callee);
    if (!b) return null;
    const head = `${call.callee}(`;
    const parts = b.params.map(([l]) => l);
    sig = {
      label: `${head}${parts.join(", ")})${b.returns ? ` -> ${b.returns}` : ""}`,
      documentation: { kind: MarkupKind.Markdown, value: b.doc },
      parameters: withOffsets(head.length, parts).map(([s, e], i) => {
        const doc = b.params[i]![1];
        return doc ? { label: [s, e], documentation: doc } : { label: [s, e] };
      }),
    };
    names = parts.map((l) => l.replace(/[?:].*$/, ""));
  }
  let active = call.named !== undefined ? names.indexOf(call.named) : call.commas;
  if (active < 0) active = sig.parameters!.length; // an unknown name: highlight nothing
  sig.activeParameter = active;
  return { signatures: [sig], activeSignature: 0, activeParameter: active };
}

function withOffsets(start: number, parts: string[]): [number, number][] {
  const out: [number, number][] = [];
  let at = start;
  for (const p of parts) {
    out.push([at, at + p.length]);
    at += p.length + 2;
  }
  return out;
}

/**
 * The innermost call whose argument list holds `offset`: the callee's name, the commas before the
 * cursor at the list's own depth, and the named argument being written (`name:` starts it).
 */
export function enclosingCall(text: string, from: number, offset: number): { callee: string; commas: number; named?: string } | undefined {
  let toks = L.lex(text.slice(from)).tokens.map((t) => shift(t, from));
  const inside = toks.find((t) => t.startOffset < offset && offset < t.startOffset + t.image.length);
  if (inside) {
    if (inside.tokenType !== L.Template && inside.tokenType !== L.UnterminatedTemplate) {
      toks = toks.filter((t) => t.startOffset < inside.startOffset);
    } else {
      // In a template: only inside a hole, whose text is lexed on its own.
      const before = text.slice(inside.startOffset, offset);
      const open = before.lastIndexOf("{{");
      if (open < 0 || before.indexOf("}}", open) >= 0) return undefined;
      const base = inside.startOffset + open + 2;
      toks = L.lex(text.slice(base, offset)).tokens.map((t) => shift(t, base));
    }
  } else toks = toks.filter((t) => t.startOffset + t.image.length <= offset);

  let depth = 0;
  let commas = 0;
  let argStart: number | undefined; // index of the first token of the argument under the cursor
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = toks[i]!;
    if (CLOSE.has(t.tokenType)) depth++;
    else if (OPEN.has(t.tokenType)) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (t.tokenType === L.LParen) {
        const callee = toks[i - 1];
        if (!callee || !isName(callee) || toks[i - 2]?.tokenType === L.Dot || toks[i - 2]?.tokenType === L.QDot) return undefined;
        const first = toks[argStart ?? i + 1];
        const second = toks[(argStart ?? i + 1) + 1];
        const named = first && isName(first) && second?.tokenType === L.Colon ? first.image : undefined;
        return named !== undefined ? { callee: callee.image, commas, named } : { callee: callee.image, commas };
      }
      // A list or record inside an argument: what was counted so far belongs to it.
      if (t.tokenType === L.LCurly && !BEFORE_RECORD.has(toks[i - 1]?.tokenType)) return undefined;
      commas = 0;
      argStart = undefined;
    } else if (depth === 0 && t.tokenType === L.Comma) {
      argStart ??= i + 1;
      commas++;
    }
  }
  return undefined;
}

const isName = (t: IToken) => t.tokenType === L.Identifier || (L.keywordTokens as unknown[]).includes(t.tokenType);
const shift = (t: IToken, by: number): IToken => ({ ...t, startOffset: t.startOffset + by });
