// Which slot a cursor is in, read from the tokens before it rather than from the AST: the text
// being completed is half-written by definition, and tokens plus a bracket stack stay meaningful
// where the parser had to recover. Declarations restart at a declaration keyword that begins a line
// and is followed by a name (the parser's own resynchronisation rule).
import type { IToken } from "chevrotain";
import { lex } from "../compiler/index.js";

export interface Tok {
  type: string;
  image: string;
  start: number;
  /** Exclusive. */
  end: number;
  line: number;
}

export type Slot =
  | { k: "none" }
  | { k: "declKeyword" }
  | { k: "propKey"; declKw: string; present: Set<string> }
  | { k: "nestedKey"; owner: string; present: Set<string> }
  | { k: "propValue"; declKw: string; key: string }
  | { k: "type" }
  | { k: "attribute" }
  /** After `.`: `receiver` is the source text of the expression before the dot, at `receiverStart`. */
  | { k: "member"; receiver: string; receiverStart: number }
  | { k: "graphMember" }
  | { k: "nodeStmt" }
  | { k: "nodeName" }
  | { k: "stateField" }
  | { k: "callable"; kinds: string[] }
  | { k: "hookPhase" }
  | { k: "hookTarget" }
  | { k: "hookRule" }
  | { k: "piiKind" }
  | { k: "testStmt" }
  | { k: "expr" };

export interface CompletionContext {
  slot: Slot;
  /** The partial word before the cursor (replaced by the completion). */
  word: string;
  wordStart: number;
  /** The declaration keyword of the declaration the cursor is in, if any. */
  declKw?: string;
}

const DECL_KEYWORDS = new Set(["import", "type", "enum", "model", "tool", "prompt", "agent", "context", "policy", "graph", "test"]);
const NAMEISH = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isName = (t: Tok | undefined) => !!t && NAMEISH.test(t.image) && t.type !== "StringLiteral";

function toTok(t: IToken): Tok {
  return { type: t.tokenType.name, image: t.image, start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1, line: t.startLine ?? 0 };
}

interface Frame {
  open: "{" | "(" | "[";
  /** The tokens of the item that opened the bracket (`node classify`, `limits`, `tools :`). */
  owner: Tok[];
  /** Index of the first token of the current item at this level. */
  itemStart: number;
}

/**
 * `from` and `to`: offsets where a declaration keyword starts its line (only whitespace before it
 * on the line), so no token spans across them — the starts of the declaration before the cursor
 * and of the one after it. Only the text between is lexed: the answer is the same (`classify`
 * restarts at such a keyword anyway), but a 2,000-line file is not lexed per keystroke.
 */
export function completionContext(text: string, offset: number, from = 0, to = text.length): CompletionContext {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const word = /[A-Za-z0-9_]*$/.exec(text.slice(lineStart, offset))![0];
  const wordStart = offset - word.length;
  const none = (): CompletionContext => ({ slot: { k: "none" }, word, wordStart });
  const startsLine = (o: number) => text.slice(text.lastIndexOf("\n", o - 1) + 1, o).trim() === "";
  if (from > 0 && (from >= wordStart || !startsLine(from))) from = 0;
  if (to < text.length && (to <= offset || !startsLine(to))) to = text.length;

  const lexed = lex(from > 0 || to < text.length ? text.slice(from, to) : text);
  const moved = (t: IToken): Tok => {
    const k = toTok(t);
    return from > 0 ? { ...k, start: k.start + from, end: k.end + from } : k;
  };
  for (const c of lexed.comments) {
    const t = moved(c);
    if (t.start < offset && offset <= t.end) return none();
  }
  const all = lexed.tokens.map(moved);
  // The cut is only transparent when the full lexing restarts there: a keyword and its name, both
  // before the cursor.
  if (from > 0 && !(all[0] && DECL_KEYWORDS.has(all[0].image) && isName(all[1]) && all[1]!.end <= wordStart)) return completionContext(text, offset, 0, to);
  const inside = all.find((t) => t.start < offset && offset < t.end && t.type !== "Identifier" && !NAMEISH.test(t.image));
  if (inside) {
    // Inside a template: complete in the hole around the cursor, as an expression of this declaration.
    if (inside.type === "Template" || inside.type === "UnterminatedTemplate") {
      const open = text.lastIndexOf("{{", offset - 2);
      const close = text.lastIndexOf("}}", offset - 2);
      if (open < inside.start || close > open) return none();
      const hole = holeContext(text, open + 2, word, wordStart);
      const outer = completionContext(text, inside.start, from, to);
      return { ...hole, ...(outer.declKw ? { declKw: outer.declKw } : {}) };
    }
    return none();
  }
  const toks = all.filter((t) => t.end <= wordStart);
  return classify(toks, text, word, wordStart);
}

function holeContext(text: string, from: number, word: string, wordStart: number): CompletionContext {
  const toks = lex(text.slice(from, wordStart)).tokens.map(toTok).map((t) => ({ ...t, start: t.start + from, end: t.end + from }));
  const prev = toks[toks.length - 1];
  if (prev && (prev.image === "." || prev.image === "?.")) {
    const m = member(toks, text);
    if (m) return { slot: m, word, wordStart };
  }
  return { slot: { k: "expr" }, word, wordStart };
}

/** `ticket.customer.` → the receiver text `ticket.customer` (names, `.`, `?.`, `!`, balanced `[]`/`()`). */
function member(toks: Tok[], text: string): Slot | undefined {
  const dot = toks.length - 1;
  let i = dot - 1;
  let depth = 0;
  for (; i >= 0; i--) {
    const t = toks[i]!;
    if (t.image === ")" || t.image === "]") depth++;
    else if (t.image === "(" || t.image === "[") {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && !(isName(t) || t.image === "." || t.image === "?." || t.image === "!")) break;
    // Stop at a name that does not continue a chain (two names in a row).
    if (depth === 0 && isName(t) && i > 0 && isName(toks[i - 1]) && toks[i - 1]!.image !== ".") {
      i--;
      break;
    }
  }
  const first = toks[i + 1];
  if (!first || first === toks[dot]) return undefined;
  return { k: "member", receiver: text.slice(first.start, toks[dot]!.start), receiverStart: first.start };
}

function classify(toks: Tok[], text: string, word: string, wordStart: number): CompletionContext {
  let stack: Frame[] = [];
  let declStart = -1;
  let itemStart = 0; // at depth 0: the first token of the current declaration
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const prev = toks[i - 1];
    const newLine = !prev || prev.line !== t.line;
    const startsDecl = DECL_KEYWORDS.has(t.image) && newLine && isName(toks[i + 1] ?? nextName(text, t.end, wordStart, word));
    if (startsDecl) {
      stack = [];
      declStart = i;
      itemStart = i;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top && top.open === "{" && newLine) top.itemStart = i;
    if (t.image === "{" || t.image === "(" || t.image === "[") {
      const owner = toks.slice(top ? top.itemStart : itemStart, i);
      stack.push({ open: t.image, owner, itemStart: i + 1 });
    } else if (t.image === "}" || t.image === ")" || t.image === "]") {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (!parent && t.image === "}") itemStart = i + 1; // the declaration is over
    } else if (t.image === "," && top) top.itemStart = i + 1;
  }

  const declKw = declStart >= 0 ? toks[declStart]!.image : undefined;
  const ctx = (slot: Slot): CompletionContext => ({ slot, word, wordStart, ...(declKw ? { declKw } : {}) });
  const prev = toks[toks.length - 1];
  const adjacent = prev && prev.end === wordStart;

  if (prev?.image === "@" && adjacent) return ctx({ k: "attribute" });
  if (prev && (prev.image === "." || prev.image === "?.")) {
    const m = member(toks, text);
    return ctx(m ?? { k: "none" });
  }

  const top = stack[stack.length - 1];
  const depth = stack.length;
  // A cursor on a fresh line of a `{` body starts a new item.
  const freshLine = !!prev && text.slice(prev.end, wordStart).includes("\n");
  const item = top?.open === "{" && freshLine ? [] : toks.slice(top ? top.itemStart : itemStart);
  const lineBlank = text.slice(text.lastIndexOf("\n", wordStart - 1) + 1, wordStart).trim() === "";

  if (!top) {
    if (declStart < 0 || itemStart >= toks.length || (lineBlank && item.length === 0)) return ctx({ k: "declKeyword" });
    if (lineBlank && prev?.image === "}") return ctx({ k: "declKeyword" });
    // The signature: `-> T`, or the alias of `type X = `.
    if (prev && ["->", "|", "<", "=", "?"].includes(prev.image)) return ctx({ k: "type" });
    if (lineBlank) return ctx({ k: "declKeyword" });
    return ctx({ k: "none" });
  }

  const owner = top.owner;
  const ownerHead = owner[0]?.image;
  const typeish = (declKw === "type" && depth === 1 && top.open === "{") || (top.open === "(" && depth === 1) || (ownerHead === "state" && declKw === "graph");
  if (typeish) {
    const colon = item.findIndex((t) => t.image === ":");
    const eq = item.findIndex((t) => t.image === "=");
    if (colon >= 0 && (eq < 0 || eq < colon) && prev && [":", "|", "<", ","].includes(prev.image)) return ctx({ k: "type" });
    if (colon >= 0 && prev?.image === "?") return ctx({ k: "none" });
    if (eq >= 0) return ctx({ k: "expr" });
    return ctx({ k: "none" });
  }
  if (prev && ["<", "|"].includes(prev.image) && item.some((t) => t.image === ":")) return ctx({ k: "type" });

  const propDecl = declKw && ["model", "tool", "prompt", "agent", "context"].includes(declKw);
  if (depth === 1 && top.open === "{") {
    const present = () => new Set(keysAtLevel(toks, top));
    if (propDecl) {
      if (item.length === 0) return ctx({ k: "propKey", declKw: declKw!, present: present() });
      if (item.length === 2 && isName(item[0]) && item[1]!.image === ":") return ctx({ k: "propValue", declKw: declKw!, key: item[0]!.image });
      return ctx({ k: "expr" });
    }
    switch (declKw) {
      case "graph": {
        if (item.length === 0) return ctx({ k: "graphMember" });
        if (item[0]!.image === "edge") {
          if (prev && ["edge", "->", ","].includes(prev.image) && !item.some((t) => t.image === "when")) return ctx({ k: "nodeName" });
          return ctx({ k: "expr" });
        }
        return ctx({ k: "expr" });
      }
      case "policy":
        if (item.length === 0) return ctx({ k: "hookPhase" });
        if (item.length === 1 && (item[0]!.image === "before" || item[0]!.image === "after")) return ctx({ k: "hookTarget" });
        if (prev && (prev.image === "tool" || prev.image === "agent" || prev.image === "model" || prev.image === "output")) {
          const kinds = { tool: ["ToolDecl"], agent: ["AgentDecl"], model: ["ModelDecl"], output: ["GraphDecl"] }[prev.image as "tool"]!;
          return ctx({ k: "callable", kinds });
        }
        return ctx({ k: "none" });
      case "test":
        if (item.length === 0) return ctx({ k: "testStmt" });
        if (item.length === 1 && item[0]!.image === "run") return ctx({ k: "callable", kinds: ["GraphDecl"] });
        if (item.length === 1 && item[0]!.image === "mock") return ctx({ k: "callable", kinds: ["PromptDecl", "AgentDecl", "ToolDecl", "GraphDecl"] });
        return ctx({ k: "expr" });
      case "enum":
        return ctx({ k: "none" });
      default:
        return ctx({ k: "expr" });
    }
  }

  if (top.open === "[" && depth === 2 && propDecl) {
    const o = owner.filter((t) => t.image !== "[");
    if (o.length === 2 && isName(o[0]) && o[1]!.image === ":") return ctx({ k: "propValue", declKw: declKw!, key: o[0]!.image });
  }
  if (top.open === "[" && declKw === "graph" && ownerHead === "edge") return ctx({ k: "nodeName" });

  if (top.open === "{" && ownerHead === "node" && declKw === "graph") {
    if (item.length === 0) return ctx({ k: "nodeStmt" });
    const head = item[0]!.image;
    if (item.length === 1 && head === "run") return ctx({ k: "callable", kinds: ["PromptDecl", "AgentDecl", "ToolDecl", "GraphDecl"] });
    if (prev?.image === "->") return ctx(head === "on" ? { k: "nodeName" } : { k: "stateField" });
    if (item.length === 1 && head === "set") return ctx({ k: "stateField" });
    if (item.length === 1 && head === "on") return ctx({ k: "none" });
    if (prev?.image === "run" && head === "map") return ctx({ k: "callable", kinds: ["PromptDecl", "AgentDecl", "ToolDecl", "GraphDecl"] });
    return ctx({ k: "expr" });
  }
  if (top.open === "{" && declKw === "policy" && (ownerHead === "before" || ownerHead === "after")) {
    if (item.length === 0) return ctx({ k: "hookRule" });
    if (item[0]!.image === "redact" && prev && (prev.image === "redact" || prev.image === ",")) return ctx({ k: "piiKind" });
    return ctx({ k: "expr" });
  }
  if (top.open === "{" && item.length === 0 && owner.length > 0) {
    const o = owner.filter((t) => t.image !== ":");
    if (o.length === 1 && isName(o[0])) return ctx({ k: "nestedKey", owner: o[0]!.image, present: new Set(keysAtLevel(toks, top)) });
    if (ownerHead === "source" && owner.length >= 4) return ctx({ k: "nestedKey", owner: `source:${owner[3]!.image}`, present: new Set(keysAtLevel(toks, top)) });
  }
  if (top.open === "{" && item.length > 0) return ctx({ k: "expr" });
  return ctx(top.open === "{" ? { k: "none" } : { k: "expr" });
}

/** Keys already written at the level of `frame` (`name :` at the start of an item). */
function keysAtLevel(toks: Tok[], frame: Frame): string[] {
  const start = toks.findIndex((t) => t === frame.owner[frame.owner.length - 1]) + 2;
  const keys: string[] = [];
  let depth = 0;
  for (let i = Math.max(0, start); i < toks.length; i++) {
    const t = toks[i]!;
    if (t.image === "{" || t.image === "(" || t.image === "[") depth++;
    else if (t.image === "}" || t.image === ")" || t.image === "]") depth--;
    else if (depth === 0 && isName(t) && (toks[i + 1]?.image === ":" || toks[i + 1]?.image === "{" || toks[i + 1]?.type === "Template")) {
      const p = toks[i - 1];
      if (!p || p.line !== t.line || p.image === "," || p.image === "{") keys.push(t.image);
    }
  }
  return keys;
}

/** The name right after a keyword when that name is the word being completed (`graph sup|`). */
function nextName(text: string, from: number, wordStart: number, word: string): Tok | undefined {
  return from <= wordStart && text.slice(from, wordStart).trim() === "" && word ? { type: "Identifier", image: word, start: wordStart, end: wordStart + word.length, line: 0 } : undefined;
}
