// Models, tools, prompts, agents and contexts: property bodies → plan records.

import type { AgentDecl, ContextDecl, Expr, ModelDecl, PromptDecl, ToolDecl } from "../syntax/ast.js";
import type { AgentPlan, ContextPlan, ContextSourcePlan, JsonValue, Message, ModelPlan, PromptPlan, ToolImpl, ToolPlan } from "../plan/types.js";
import { SOURCE_KINDS, TOOL_IMPL_KINDS, type ToolImplKind } from "../plan/vocabulary.js";
import { constNumber, constString, constStrings, constValue, dottedName } from "./const.js";
import type { LowerCtx } from "./context.js";
import { calleeName, segmentsOf } from "./expr.js";
import { compensateOf, durationMs, nonNegInt, propMap, rateOf, retryOf } from "./props.js";
import { paramsSchema, typeSchema } from "./schema.js";

const names = (fields: { name: { name: string } }[]): Set<string> => new Set(fields.map((f) => f.name.name).filter(Boolean));

export function lowerModel(ctx: LowerCtx, d: ModelDecl): ModelPlan {
  const p = propMap(d.props);
  const price = constValue(p.get("price"));
  return {
    provider: constString(p.get("provider")) ?? "openai",
    name: constString(p.get("name")) ?? d.name.name,
    // A literal URL, or `env:NAME` for base_url: env("NAME") (read from the environment at run time).
    base_url: p.get("base_url")?.kind === "Call" ? `env:${envName(p.get("base_url"))}` : (constString(p.get("base_url")) ?? null),
    api_key_env: envName(p.get("api_key")),
    temperature: constNumber(p.get("temperature")) ?? null,
    max_tokens: nonNegInt(p.get("max_tokens")),
    timeout_ms: durationMs(p.get("timeout")),
    retry: retryOf(p.get("retry")),
    fallback: constStrings(p.get("fallback")),
    price:
      price && typeof price === "object" && !Array.isArray(price)
        ? { input: nonNegNumber(price.input), output: nonNegNumber(price.output) }
        : null,
    loc: ctx.loc(d.name.span),
  };
}

/** `api_key: "ENV_NAME"` or `api_key: env("ENV_NAME")`: the plan holds the variable's name, never a key. */
function envName(e: Expr | undefined): string | null {
  if (e?.kind === "Call") return constString(e.args[0]?.value) ?? null;
  return constString(e) ?? null;
}

const nonNegNumber = (v: JsonValue | undefined): number => (typeof v === "number" && v > 0 ? v : 0);

export function lowerTool(ctx: LowerCtx, d: ToolDecl): ToolPlan {
  const p = propMap(d.props);
  const locals = new Set([...names(d.params), "result"]);
  return {
    params: paramsSchema(ctx, d.params),
    returns: typeSchema(ctx, d.returns),
    description: constString(p.get("description")) ?? d.doc ?? null,
    impl: implOf(p.get("impl")),
    tags: constStrings(p.get("tags")),
    timeout_ms: durationMs(p.get("timeout")),
    rate: rateOf(p.get("rate")),
    idempotent: constValue(p.get("idempotent")) === true,
    compensate: compensateOf(ctx, p.get("compensate"), locals),
    ...toolLimits(p),
    retry: retryOf(p.get("retry")),
    loc: ctx.loc(d.name.span),
  };
}

/** `concurrency: N` and `allow: { read: [...], write: [...], env: [...] }`, present only when declared. */
function toolLimits(p: Map<string, Expr>): Pick<ToolPlan, "concurrency" | "allow"> {
  const out: Pick<ToolPlan, "concurrency" | "allow"> = {};
  const c = constNumber(p.get("concurrency"));
  if (c !== undefined && Number.isInteger(c) && c >= 1) out.concurrency = c;
  const a = p.get("allow");
  if (a?.kind === "Record") {
    const field = (k: string) => constStrings(a.fields.find((f) => f.key.name === k)?.value);
    out.allow = { read: field("read"), write: field("write"), env: field("env") };
  }
  return out;
}

/** A header value: a string, or `env("NAME")` lowered to the secret hole `{env:NAME}` (resolved at call time). */
function headerValue(e: Expr): string {
  if (e.kind === "Call" && calleeName(e.callee) === "env") {
    const name = constString(e.args[0]?.value);
    return name ? `{env:${name}}` : "";
  }
  return constString(e) ?? "";
}

/** `js("./m.mjs#fn")`, `http("METHOD url")` / `http({ method, url, headers })`, `mcp(server, "tool")`, `builtin("std.x")`. */
const IMPL_OF: { [K in ToolImplKind]: (args: Expr[]) => Extract<ToolImpl, { kind: K }> } = {
  js: (args) => {
    const spec = constString(args[0]) ?? "";
    const hash = spec.lastIndexOf("#");
    return hash < 0 ? { kind: "js", module: spec, export: "default" } : { kind: "js", module: spec.slice(0, hash), export: spec.slice(hash + 1) };
  },
  http: (args) => {
    // http("GET https://…/{id}") or http({ method, url, headers }); header values are strings, which
    // may hold `{env:NAME}` secret holes, or env("NAME").
    const arg = args[0];
    if (arg?.kind === "Record") {
      const field = (k: string) => arg.fields.find((f) => f.key.name === k)?.value;
      const headers = field("headers");
      return {
        kind: "http",
        method: (constString(field("method")) ?? "GET").toUpperCase(),
        url: constString(field("url")) ?? "",
        headers: headers?.kind === "Record" ? Object.fromEntries(headers.fields.map((f) => [f.key.name, headerValue(f.value)])) : {},
      };
    }
    const spec = constString(arg) ?? "";
    const m = /^([A-Za-z]+)\s+(\S+)$/.exec(spec);
    return m ? { kind: "http", method: m[1]!.toUpperCase(), url: m[2]!, headers: {} } : { kind: "http", method: "GET", url: spec, headers: {} };
  },
  mcp: (args) => ({ kind: "mcp", server: (args[0] && (dottedName(args[0]) ?? constString(args[0]))) ?? "", tool: constString(args[1]) ?? "" }),
  builtin: (args) => ({ kind: "builtin", name: constString(args[0]) ?? "" }),
};

function implOf(e: Expr | undefined): ToolImpl | null {
  if (!e || e.kind !== "Call") return null;
  const kind = TOOL_IMPL_KINDS.find((k) => k === calleeName(e.callee));
  return kind ? IMPL_OF[kind](e.args.map((a) => a.value)) : null;
}

const ROLES = ["system", "user", "assistant"] as const;

export function lowerPrompt(ctx: LowerCtx, d: PromptDecl): PromptPlan {
  const locals = names(d.params);
  const p = propMap(d.props);
  const context = constString(p.get("context")) ?? null;
  const messages: Message[] = [];
  for (const prop of d.props) {
    const role = ROLES.find((r) => r === prop.key.name);
    if (role) messages.push({ role, segments: segmentsOf(ctx, prop.value, locals, context !== null) });
  }
  const temperature = constNumber(p.get("temperature"));
  return {
    params: paramsSchema(ctx, d.params),
    returns: typeSchema(ctx, d.returns ?? { kind: "NamedType", name: { kind: "Ident", name: "string", span: d.span }, args: [], span: d.span }),
    model: constString(p.get("model")) ?? null,
    messages,
    context,
    temperature: temperature ?? null,
    max_tokens: nonNegInt(p.get("max_tokens")),
    loc: ctx.loc(d.name.span),
  };
}

export function lowerAgent(ctx: LowerCtx, d: AgentDecl): AgentPlan {
  const p = propMap(d.props);
  const locals = names(d.params);
  const limits = p.get("limits");
  const lim = new Map(limits?.kind === "Record" ? limits.fields.map((f) => [f.key.name, f.value]) : []);
  const cost = constNumber(lim.get("cost"));
  return {
    params: paramsSchema(ctx, d.params),
    returns: typeSchema(ctx, d.returns ?? { kind: "NamedType", name: { kind: "Ident", name: "string", span: d.span }, args: [], span: d.span }),
    model: constString(p.get("model")) ?? null,
    role: constString(p.get("role")) ?? null,
    goal: constString(p.get("goal")) ?? null,
    rules: constStrings(p.get("rules")),
    instructions: segmentsOf(ctx, p.get("instructions"), locals),
    tools: constStrings(p.get("tools")),
    handoffs: constStrings(p.get("handoffs")),
    context: constString(p.get("context")) ?? null,
    memory: constString(p.get("memory")) ?? null,
    limits: {
      turns: nonNegInt(lim.get("turns")),
      tokens: nonNegInt(lim.get("tokens")),
      cost: cost === undefined ? null : Math.max(0, cost),
      time_ms: durationMs(lim.get("time")),
    },
    loc: ctx.loc(d.name.span),
  };
}

export function lowerContext(ctx: LowerCtx, d: ContextDecl): ContextPlan {
  const p = propMap(d.props);
  const sources: ContextSourcePlan[] = d.sources.map((s) => {
    const call = s.value.kind === "Call" ? s.value : undefined;
    const kindName = call ? calleeName(call.callee) : "";
    const options = constValue(s.options);
    return {
      name: s.name.name,
      // The checker (AWR5004) rejects other kinds; lowering never throws on what it let through.
      kind: SOURCE_KINDS.find((k) => k === kindName) ?? "structured",
      args: (call?.args ?? []).map((a) => constValue(a.value) ?? null),
      options: options && typeof options === "object" && !Array.isArray(options) ? options : {},
      loc: ctx.loc(s.name.span),
    };
  });
  const dedup = constNumber(p.get("dedup"));
  return {
    sources,
    fuse: constString(p.get("fuse")) ?? "rrf",
    top: nonNegInt(p.get("top")),
    budget: nonNegInt(p.get("budget")),
    dedup: dedup ?? null,
    cache_ms: durationMs(p.get("cache")),
    summarize: constString(p.get("summarize")) ?? null,
    loc: ctx.loc(d.name.span),
  };
}
