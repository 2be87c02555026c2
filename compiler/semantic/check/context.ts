// `context` declarations: sources (kinds and options from compiler/language/props.ts), fusion,
// budgets and the summarizer prompt.
import * as A from "../../syntax/ast.js";
import * as Ty from "../types.js";
import * as P from "../../language/props.js";
import type { Checker } from "./checker.js";
import { checkProps, bad, numberProp, durationValue, oneName, declFile } from "./props.js";

export function contextDecl(cx: Checker, file: string, d: A.ContextDecl) {
  const names = new Set<string>();
  for (const s of d.sources) {
    if (names.has(s.name.name)) cx.ctx.report("AWR2009", file, s.name.span, `source "${s.name.name}" is declared twice`);
    names.add(s.name.name);
    const v = s.value;
    if (v.kind !== "Call" || v.callee.kind !== "Name" || !Object.hasOwn(P.SOURCE_KINDS, v.callee.name)) {
      const kinds = Object.entries(P.SOURCE_KINDS).map(([k, x]) => (x.args === 0 ? `${k}()` : `${k}("...")`));
      cx.ctx.report("AWR5004", file, v.span, `a source is ${kinds.slice(0, -1).join(", ")} or ${kinds[kinds.length - 1]}`);
      continue;
    }
    const kind = P.SOURCE_KINDS[v.callee.name]!;
    if (kind.args === 0 ? v.args.length !== 0 : v.args.length !== 1 || v.args[0]!.value.kind !== "String") {
      cx.ctx.report("AWR5004", file, v.span, kind.doc);
    }
    for (const f of s.options?.fields ?? []) {
      const t = Object.hasOwn(kind.options, f.key.name) ? kind.options[f.key.name] : undefined;
      if (!t) cx.ctx.unknown(file, f.key, Object.keys(kind.options), "option", "AWR5004", `a ${v.callee.name} source`);
      else sourceOption(cx, file, f, t);
    }
  }
  if (d.sources.length === 0 && d.name.name !== "") cx.ctx.report("AWR5004", file, d.name.span, `context "${d.name.name}" has no source: add source docs = vector("./kb/*.md")`);
  const ps = checkProps(cx, file, d, P.CONTEXT_PROPS, "context");
  for (const [k, p] of ps) {
    switch (k) {
      case "fuse":
        if (p.value.kind !== "Name" || !["rrf", "concat"].includes(p.value.name)) bad(cx, file, p.value, '"fuse" must be rrf or concat');
        break;
      case "top":
      case "budget":
        numberProp(cx, file, p, { int: true, min: 1 });
        break;
      case "dedup":
        numberProp(cx, file, p, { min: 0, max: 1 });
        break;
      case "cache":
        durationValue(cx, file, p.value, '"cache"');
        break;
      case "embed":
        // Refused rather than ignored: the plan does not carry it, so a run would embed with the
        // local embedder while the source claims a model (docs/context.md § Embeddings).
        oneName(cx, file, p, ["ModelDecl"], "model");
        cx.ctx.report(
          "AWR5012",
          file,
          p.key.span,
          '"embed" is not supported yet: runs would embed with the local deterministic embedder, not this model. Remove it and choose the embedder where the context is assembled (awr context query --embedder openai:MODEL, or the embedder option of createContextAssembler)',
        );
        break;
      case "summarize": {
        const prompt = oneName(cx, file, p, ["PromptDecl"], "prompt");
        if (prompt) summarizer(cx, file, p, prompt);
        break;
      }
    }
  }
}

/** A source option's value against its type in SOURCE_KINDS (AWR5004). */
export function sourceOption(cx: Checker, file: string, f: A.RecordField, t: string) {
  const v = f.value;
  const name = f.key.name;
  const bad = (what: string) => cx.ctx.report("AWR5004", file, v.span, `"${name}" must be ${what}`);
  // `"a" | "b"`: one of these strings; `list of "a" | "b"`: a list of them.
  const choices = (spec: string) => [...spec.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  const among = (spec: string) => {
    const q = choices(spec).map((c) => `"${c}"`);
    return q.length > 1 ? `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}` : q.join("");
  };
  if (t === "int") {
    if (v.kind !== "Number" || !v.integer || v.value < 0) bad("a whole number");
  } else if (t === "string") {
    if (v.kind !== "String") bad("a string");
  } else if (t === "bool") {
    if (v.kind !== "Bool") bad("true or false");
  } else if (t === "list of strings") {
    if (v.kind !== "List" || v.items.some((i) => i.kind !== "String")) bad("a list of strings");
  } else if (t.startsWith("list of ")) {
    const ok = choices(t);
    if (v.kind !== "List" || v.items.length === 0 || v.items.some((i) => i.kind !== "String" || !ok.includes(i.value))) bad(`a non-empty list of ${among(t)}`);
  } else if (v.kind !== "String" || !choices(t).includes(v.value)) bad(among(t));
}

/**
 * `summarize: P`: the VM calls P with `text` (what did not fit), `query` and `budget` (tokens), by
 * name, and reads a string. P must take `text: string`, may take `query: string` and
 * `budget: int`, nothing else without a default, and return a string (AWR2011).
 */
export function summarizer(cx: Checker, file: string, p: A.Property, d: A.PromptDecl) {
  const where = declFile(cx, d);
  const offered: Record<string, Ty.Ty> = { text: Ty.STRING, query: Ty.STRING, budget: Ty.INT };
  const problems: string[] = [];
  if (!d.params.some((f) => f.name.name === "text")) problems.push("it has no parameter text");
  for (const f of d.params) {
    const ty = f.type ? cx.ctx.typeOf(where, f.type, false) : Ty.ERROR;
    const given = Object.hasOwn(offered, f.name.name) ? offered[f.name.name] : undefined;
    if (!given) {
      if (f.default === undefined && !Ty.isOptional(ty, cx.ctx)) problems.push(`its parameter ${f.name.name} gets no value`);
    } else if (!Ty.assignable(given, ty, cx.ctx)) problems.push(`its parameter ${f.name.name} is ${Ty.show(ty)}, not ${Ty.show(given)}`);
  }
  const returns = d.returns ? cx.ctx.typeOf(where, d.returns, false) : Ty.STRING;
  if (!Ty.assignable(returns, Ty.STRING, cx.ctx)) problems.push(`it returns ${Ty.show(returns)}, not string`);
  if (problems.length === 0) return;
  bad(cx, file, p.value, `summarize: prompt "${d.name.name}" does not fit: it must take text: string (and may take query: string, budget: int) and return a string, but ${problems.join("; ")}`);
}
