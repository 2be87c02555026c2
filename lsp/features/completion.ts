// Completion by slot (see completion-context.ts): declaration keywords at the top level, property
// keys of each declaration kind with their docs (compiler/language/props.ts), declarations of the
// right kind after `model:`, `tools: [`, `run`, type names after `:`, attributes after `@`, fields
// after `.` (the receiver typed by the checker), graph members, node statements, node and state
// field names, and values and declarations in scope in expressions.
import type { CompletionItem, CompletionParams, MarkupContent } from "vscode-languageserver/node";
import { CompletionItemKind, MarkupKind } from "vscode-languageserver/node";
import {
  ast as A,
  props as P,
  types as Ty,
  BUILTIN_TYPE_NAMES,
  BACKOFFS,
  BUILTIN_FUNCTIONS,
  TOOL_IMPL_KINDS,
  BUILTINS,
  parseExpressionAt,
  scopeAt,
  type ModuleInfo,
  type Program,
  type Sym,
} from "../../compiler/index.js";
import { declAt, pathAt } from "../ast-path.js";
import { completionContext, type Slot } from "../completion-context.js";
import { toOffset, toPosition, uriToPath } from "../convert.js";
import { fieldText, signature } from "../describe.js";
import { fieldsOf, propsOf } from "../target.js";
import type { Workspace } from "../workspace.js";

const DECL_KEYWORDS = ["import", "type", "enum", "model", "tool", "prompt", "agent", "context", "policy", "graph", "test"];
const DECL_KIND_OF: Record<string, A.DeclKind> = {
  model: "ModelDecl",
  tool: "ToolDecl",
  prompt: "PromptDecl",
  agent: "AgentDecl",
  context: "ContextDecl",
};
/** Which declarations a property's value names. */
const VALUE_KINDS: Record<string, A.DeclKind[]> = {
  model: ["ModelDecl"],
  fallback: ["ModelDecl"],
  embed: ["ModelDecl"],
  tools: ["ToolDecl"],
  handoffs: ["AgentDecl"],
  context: ["ContextDecl"],
  memory: ["ContextDecl"],
  summarize: ["PromptDecl"],
  compensate: ["ToolDecl"],
};
const VALUE_WORDS: Record<string, string[]> = {
  fuse: ["rrf", "concat"],
  idempotent: ["true", "false"],
  impl: [...TOOL_IMPL_KINDS],
};
const NESTED_KEYS: Record<string, Record<string, string>> = {
  limits: { turns: "most model turns", tokens: "most tokens in total", cost: "most USD", time: "most wall time (a duration)" },
  price: { input: "USD per million input tokens", output: "USD per million output tokens" },
  retry: { max: "retries after the first attempt", backoff: BACKOFFS.map((b) => `${b}(${BUILTINS[b].params.map(([label]) => label.split(":")[0]).join(", ")})`).join(" | "), jitter: "randomise the delays (bool)" },
  ...Object.fromEntries(Object.entries(P.SOURCE_KINDS).map(([k, v]) => [`source:${k}`, v.options])),
};

export function completion(ws: Workspace, params: CompletionParams): CompletionItem[] | null {
  const file = uriToPath(params.textDocument.uri);
  const result = ws.analyse(file);
  const program = result.program;
  const module = program.modules.get(file);
  if (!module) return null;
  const offset = toOffset(module.lines, params.position);
  // Lex from the declaration before the cursor to the one after it (a declaration starts at a token).
  const before = module.ast.decls.filter((d) => d.span.start < offset && d.name.name !== "").pop();
  const after = module.ast.decls.find((d) => d.span.start > offset);
  const cc = completionContext(module.text, offset, before?.span.start ?? 0, after?.span.start ?? module.text.length);
  const items = itemsFor(cc.slot, program, module, offset);
  const range = { start: toPosition(module.lines, cc.wordStart), end: toPosition(module.lines, offset) };
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const { insertText, ...item } of items) {
    if (seen.has(item.label)) continue;
    seen.add(item.label);
    out.push({ ...item, textEdit: { range, newText: insertText ?? item.label } });
  }
  return out;
}

const md = (value: string): MarkupContent => ({ kind: MarkupKind.Markdown, value });
const keyword = (label: string): CompletionItem => ({ label, kind: CompletionItemKind.Keyword });

function itemsFor(slot: Slot, program: Program, module: ModuleInfo, offset: number): CompletionItem[] {
  const file = module.file;
  const inScope = (kinds?: readonly A.DeclKind[]): Sym[] => [...(program.scopes.get(file)?.values() ?? [])].filter((s) => !kinds || kinds.includes(s.decl.kind));
  const declItem = (s: Sym): CompletionItem => {
    const text = program.modules.get(s.file)?.text ?? "";
    const item: CompletionItem = { label: s.name, kind: declKind(s.decl.kind), detail: signature(s.decl, text).split("\n")[0] };
    if (s.decl.doc) item.documentation = md(s.decl.doc);
    return item;
  };
  const decl = declAt(module.ast, offset);
  const graph = decl?.kind === "GraphDecl" ? decl : undefined;
  const scope = () => scopeAt(program, file, decl, decl && offset <= decl.span.end ? pathAt(module.ast, offset) : []);

  switch (slot.k) {
    case "none":
      return [];
    case "declKeyword":
      return DECL_KEYWORDS.map(keyword);
    case "propKey": {
      const table = propsOf(DECL_KIND_OF[slot.declKw]!) ?? {};
      const present = new Set(slot.present);
      if (decl && "props" in decl && decl.span.start <= offset && offset <= decl.span.end) for (const p of decl.props) if (p.span.end < offset || p.span.start > offset) present.add(p.key.name);
      const items: CompletionItem[] = Object.entries(table)
        .filter(([k]) => !present.has(k))
        .map(([k, spec]) => ({
          label: k,
          kind: CompletionItemKind.Property,
          detail: `${spec.type}${spec.required ? " (required)" : ""}`,
          documentation: md(spec.doc),
          insertText: spec.type === "template" ? `${k} ` : spec.type.startsWith("{") ? `${k} ` : `${k}: `,
          sortText: `${spec.required ? "0" : "1"}${k}`,
        }));
      if (slot.declKw === "context") items.push({ label: "source", kind: CompletionItemKind.Keyword, detail: `source NAME = ${Object.entries(P.SOURCE_KINDS).map(([k, x]) => `${k}(${x.args ? "..." : ""})`).join(" | ")}` });
      return items;
    }
    case "nestedKey": {
      const keys = NESTED_KEYS[slot.owner] ?? {};
      return Object.entries(keys)
        .filter(([k]) => !slot.present.has(k))
        .map(([k, doc]) => ({ label: k, kind: CompletionItemKind.Property, detail: doc, insertText: `${k}: ` }));
    }
    case "propValue": {
      const kinds = VALUE_KINDS[slot.key];
      if (kinds && !(slot.key === "context" && slot.declKw === "context")) return inScope(kinds).filter((s) => s.decl !== decl).map(declItem);
      const words = VALUE_WORDS[slot.key];
      if (words) return words.map((w) => ({ label: w, kind: CompletionItemKind.Value }));
      if (slot.key === "provider") return [{ label: '"openai"', kind: CompletionItemKind.Value }];
      return expressionItems();
    }
    case "type": {
      const builtins = BUILTIN_TYPE_NAMES.filter((n) => n !== "null").map((n): CompletionItem => ({ label: n, kind: CompletionItemKind.TypeParameter, detail: "builtin type" }));
      return [...builtins, ...inScope(["TypeDecl", "EnumDecl"]).map(declItem)];
    }
    case "attribute":
      return Object.entries(P.ATTRIBUTES).map(([k, doc]) => ({ label: k, kind: CompletionItemKind.Property, detail: `@${k}`, documentation: md(doc) }));
    case "member": {
      const s = scope();
      const expr = parseExpressionAt(file, slot.receiver, slot.receiverStart, []);
      const t = s.typeOf(expr);
      return fieldsOf(s, t).map((f) => {
        const item: CompletionItem = { label: f.name, kind: CompletionItemKind.Field, detail: f.decl ? fieldText(f.decl, program.modules.get(f.file)?.text ?? "") : `${f.name}: ${Ty.show(f.ty)}` };
        if (f.decl?.doc) item.documentation = md(f.decl.doc);
        return item;
      });
    }
    case "graphMember":
      return ["state", "node", "edge", "return"].map(keyword);
    case "nodeStmt":
      return ["run", "map", "await", "set", "retry", "timeout", "on error", "compensate"].map(keyword);
    case "nodeName": {
      const nodes = graph ? A.graphNodes(graph).filter((n) => n.name.name !== "") : [];
      return [
        ...nodes.map((n): CompletionItem => ({ label: n.name.name, kind: CompletionItemKind.Method, detail: "node", ...(n.doc ? { documentation: md(n.doc) } : {}) })),
        ...["start", "end"].map(keyword),
      ];
    }
    case "stateField":
      return graph ? A.graphState(graph).filter((f) => f.name.name !== "").map((f) => fieldItem(f, module.text)) : [];
    case "callable":
      return inScope(slot.kinds as A.DeclKind[]).map(declItem);
    case "hookPhase":
      return ["before", "after"].map(keyword);
    case "hookTarget":
      return ["model", "tool", "agent", "output"].map(keyword);
    case "hookRule":
      return ["deny", "allow", "approve", "redact", "transform", "when", "because"].map(keyword);
    case "piiKind":
      return P.PII_KINDS.map((k) => ({ label: k, kind: CompletionItemKind.EnumMember }));
    case "testStmt":
      return ["run", "mock", "expect", "principal"].map(keyword);
    case "expr":
      return expressionItems();
  }

  function expressionItems(): CompletionItem[] {
    const s = scope();
    const locals = [...s.locals.values()].map((l): CompletionItem => {
      const item: CompletionItem = { label: l.name, kind: l.role === "state" ? CompletionItemKind.Field : CompletionItemKind.Variable, detail: `(${l.role}) ${l.name}: ${Ty.show(l.ty)}` };
      if (l.decl?.kind === "Field" && l.decl.doc) item.documentation = md(l.decl.doc);
      return item;
    });
    const members = inScope(["EnumDecl"]).flatMap((sym) => (sym.decl as A.EnumDecl).members.map((m): CompletionItem => ({ label: m.name, kind: CompletionItemKind.EnumMember, detail: sym.name })));
    const fns = BUILTIN_FUNCTIONS.map((f): CompletionItem => ({ label: f, kind: CompletionItemKind.Function, detail: "builtin" }));
    const lits = ["true", "false", "null"].map(keyword);
    return [...locals, ...members, ...inScope().filter((x) => x.decl !== decl).map(declItem), ...fns, ...lits];
  }
}

function fieldItem(f: A.Field, text: string): CompletionItem {
  const item: CompletionItem = { label: f.name.name, kind: CompletionItemKind.Field, detail: fieldText(f, text) };
  if (f.doc) item.documentation = md(f.doc);
  return item;
}

function declKind(kind: A.DeclKind): CompletionItemKind {
  switch (kind) {
    case "TypeDecl":
      return CompletionItemKind.Struct;
    case "EnumDecl":
      return CompletionItemKind.Enum;
    case "ToolDecl":
    case "PromptDecl":
      return CompletionItemKind.Function;
    case "AgentDecl":
    case "GraphDecl":
      return CompletionItemKind.Class;
    case "ModelDecl":
      return CompletionItemKind.Constant;
    case "ContextDecl":
    case "PolicyDecl":
      return CompletionItemKind.Module;
    case "TestDecl":
      return CompletionItemKind.Method;
  }
}
