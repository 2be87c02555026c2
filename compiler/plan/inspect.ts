// The readable text form of a plan (`awr inspect`), a disassembler: one section per declaration,
// one line per step with its stable id, expressions and schemas printed source-like.
// Deterministic: the same plan always prints the same text (tests snapshot it).

import type { ExprIR, JsonValue, Loc, Plan, Retry, Segment, Stmt, ToolImpl } from "./types.js";
import type { ToolImplKind } from "./vocabulary.js";
import { BINARY_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from "./precedence.js";

/** How each tool implementation kind prints. */
const IMPL_TEXT: { [K in ToolImplKind]: (i: Extract<ToolImpl, { kind: K }>) => string } = {
  js: (i) => `js ${i.module}#${i.export}`,
  http: (i) => `http ${i.method} ${i.url}`,
  mcp: (i) => `mcp ${i.server} ${str(i.tool)}`,
  builtin: (i) => `builtin ${i.name}`,
};

const implText = (i: ToolImpl): string => (IMPL_TEXT[i.kind] as (i: ToolImpl) => string)(i);

export function planToText(plan: Plan): string {
  const out: string[] = [];
  out.push(`plan format ${plan.format} · compiler ${plan.compiler}`);
  out.push(`entry ${plan.entry.join(", ") || "-"}`);

  const section = (lines: string[]) => {
    out.push("", ...lines);
  };

  for (const [name, schema] of Object.entries(plan.types)) {
    const body = (schema.$defs as Record<string, unknown> | undefined)?.[name] ?? schema;
    section([`type ${name} = ${schemaText(body)}`]);
  }

  for (const [name, m] of Object.entries(plan.models)) {
    const lines = [`model ${name} = ${m.provider} ${str(m.name)}${at(m.loc)}`];
    const conn = [m.base_url && `base_url ${str(m.base_url)}`, m.api_key_env && `api_key env ${m.api_key_env}`].filter(Boolean);
    if (conn.length) lines.push(`  ${conn.join(" · ")}`);
    lines.push(`  temperature ${opt(m.temperature)} · max_tokens ${opt(m.max_tokens)} · timeout ${dur(m.timeout_ms)}`);
    lines.push(`  retry ${retryText(m.retry)}`);
    if (m.fallback.length) lines.push(`  fallback ${m.fallback.join(", ")}`);
    if (m.price) lines.push(`  price input ${m.price.input} · output ${m.price.output} USD per 1M tokens`);
    section(lines);
  }

  for (const [name, t] of Object.entries(plan.tools)) {
    const lines = [`tool ${name}${paramsText(t.params)} -> ${schemaText(t.returns)}${at(t.loc)}`];
    if (t.description !== null) lines.push(`  description ${str(t.description)}`);
    lines.push(`  impl ${t.impl ? implText(t.impl) : "-"}`);
    if (t.tags.length) lines.push(`  tags ${t.tags.join(", ")}`);
    lines.push(
      `  timeout ${dur(t.timeout_ms)} · rate ${t.rate ? `${t.rate.count}/${dur(t.rate.per_ms).replace(/^1(?=[a-z])/, "")}` : "-"} · idempotent ${t.idempotent}` +
        (t.concurrency !== undefined ? ` · concurrency ${t.concurrency}` : "") +
        (t.retry.max > 0 ? ` · retry ${retryText(t.retry)}` : ""),
    );
    if (t.allow) {
      const grants = (["read", "write", "env"] as const).filter((k) => t.allow![k].length).map((k) => `${k} ${t.allow![k].join(", ")}`);
      lines.push(`  allow ${grants.length ? grants.join(" · ") : "nothing"}`);
    }
    if (t.compensate) lines.push(`  compensate ${t.compensate.tool}${argsText(t.compensate.args)}`);
    section(lines);
  }

  for (const [name, p] of Object.entries(plan.prompts)) {
    const settings = [p.context !== null && `context ${p.context}`, p.temperature !== null && `temperature ${p.temperature}`, p.max_tokens !== null && `max_tokens ${p.max_tokens}`].filter(Boolean);
    const lines = [`prompt ${name}${paramsText(p.params)} -> ${schemaText(p.returns)}${at(p.loc)}`, `  model ${p.model ?? "-"}${settings.map((x) => ` · ${x}`).join("")}`];
    for (const m of p.messages) lines.push(`  ${m.role} ${templateText(m.segments)}`);
    section(lines);
  }

  for (const [name, a] of Object.entries(plan.agents)) {
    const lines = [`agent ${name}${paramsText(a.params)} -> ${schemaText(a.returns)}${at(a.loc)}`];
    lines.push(`  model ${a.model ?? "-"} · context ${a.context ?? "-"}${a.memory !== null ? ` · memory ${a.memory}` : ""}`);
    if (a.role !== null) lines.push(`  role ${str(a.role)}`);
    if (a.goal !== null) lines.push(`  goal ${str(a.goal)}`);
    for (const r of a.rules) lines.push(`  rule ${str(r)}`);
    if (a.instructions.length) lines.push(`  instructions ${templateText(a.instructions)}`);
    lines.push(`  tools ${a.tools.join(", ") || "-"}`);
    if (a.handoffs.length) lines.push(`  handoffs ${a.handoffs.join(", ")}`);
    const l = a.limits;
    lines.push(`  limits turns ${opt(l.turns)} · tokens ${opt(l.tokens)} · cost ${opt(l.cost)} · time ${dur(l.time_ms)}`);
    section(lines);
  }

  for (const [name, c] of Object.entries(plan.contexts)) {
    const lines = [`context ${name}${at(c.loc)}`];
    for (const s of c.sources) {
      const options = Object.keys(s.options).length ? ` ${jsonText(s.options)}` : "";
      lines.push(`  source ${s.name} = ${s.kind}(${s.args.map(jsonText).join(", ")})${options}`);
    }
    lines.push(`  fuse ${c.fuse} · top ${opt(c.top)} · budget ${opt(c.budget)} · dedup ${opt(c.dedup)} · cache ${dur(c.cache_ms)}${c.summarize !== null ? ` · summarize ${c.summarize}` : ""}`);
    section(lines);
  }

  for (const [name, p] of Object.entries(plan.policies)) {
    const lines = [`policy ${name}${at(p.loc)}`];
    for (const h of p.hooks) {
      const sel = !h.selector ? "" : "name" in h.selector ? ` ${h.selector.name}` : ` tagged ${h.selector.tag}`;
      lines.push(`  ${h.id}  ${h.phase} ${h.target}${sel}`);
      for (const r of h.rules) {
        let text = r.action + (r.kinds.length ? ` ${r.kinds.join(", ")}` : "");
        if (r.path && r.value) text += ` ${r.path.join(".")} = ${exprText(r.value)}`;
        if (r.when) text += ` when ${exprText(r.when)}`;
        if (r.because) text += ` because ${exprText(r.because)}`;
        lines.push(`    ${r.id}  ${text}${at(r.loc, false)}`);
      }
    }
    section(lines);
  }

  for (const [name, g] of Object.entries(plan.graphs)) {
    const lines = [`graph ${name}${paramsText(g.params)} -> ${schemaText(g.returns)}${at(g.loc)}`];
    for (const f of g.state) lines.push(`  state ${f.name}: ${schemaText(f.schema)} · ${f.reducer} · default ${jsonText(f.default)}`);
    for (const n of g.nodes) {
      const attrs = [
        n.retry.max > 0 && `retry ${retryText(n.retry)}`,
        n.timeout_ms !== null && `timeout ${dur(n.timeout_ms)}`,
        n.on_error !== null && `on error -> ${n.on_error}`,
        n.compensate && `compensate ${n.compensate.tool}${argsText(n.compensate.args)}`,
      ].filter(Boolean);
      lines.push(`  ${n.id}  node ${n.name}${attrs.length ? ` · ${attrs.join(" · ")}` : ""}${at(n.loc, false)}`);
      for (const s of n.stmts) lines.push(`    ${s.id}  ${stmtText(s)}${at(s.loc, false)}`);
    }
    for (const e of g.edges) {
      const list = (xs: string[]) => (xs.length === 1 ? xs[0]! : `[${xs.join(", ")}]`);
      let text = `edge ${list(e.from)} -> ${list(e.to)}`;
      if (e.when) text += ` when ${exprText(e.when)}`;
      if (e.otherwise) text += " otherwise";
      if (e.max !== null) text += ` max ${e.max}`;
      lines.push(`  ${e.id}  ${text}${at(e.loc, false)}`);
    }
    lines.push(`  return ${g.return ? exprText(g.return) : "-"}`);
    if (g.cost) {
      const c = g.cost;
      lines.push(`  cost model_calls ${opt(c.model_calls)} · tokens ${opt(c.tokens)} · usd ${opt(c.usd)}${c.unbounded_reason ? ` · unbounded: ${c.unbounded_reason}` : ""}`);
    }
    section(lines);
  }

  for (const [name, t] of Object.entries(plan.tests)) {
    const lines = [`test ${name}${at(t.loc)}`];
    lines.push(`  run ${t.run ? `${t.run.graph}${argsText(t.run.args)}` : "-"}`);
    if (t.principal) lines.push(`  principal ${exprText(t.principal)}`);
    for (const m of t.mocks) {
      const values = m.values.map((v) =>
        "fail" in v ? `fail(${str(v.fail)})` : "tool_calls" in v ? `tool_calls(${v.tool_calls.map((c) => `${c.name}${argsText(c.args)}`).join(", ")})` : exprText(v.value),
      );
      lines.push(`  mock ${m.name} => ${values.join(" then ")}`);
    }
    for (const e of t.expects) lines.push(`  ${e.id}  expect ${exprText(e.expr)}${at(e.loc, false)}`);
    section(lines);
  }

  return `${out.join("\n")}\n`;
}

function stmtText(s: Stmt): string {
  const into = "into" in s && s.into !== null ? ` -> ${s.into}` : "";
  switch (s.op) {
    case "run":
      return `run ${s.call.kind} ${s.call.name}${argsText(s.args)}${into}`;
    case "map":
      return `map ${s.var} in ${exprText(s.over)}${s.concurrency !== null ? ` concurrency ${s.concurrency}` : ""} run ${s.call.kind} ${s.call.name}${argsText(s.args)}${into}`;
    case "await":
      return `await ${s.kind}(${exprText(s.arg)}${s.key ? `, key: ${exprText(s.key)}` : ""})${into}`;
    case "set":
      return `set ${s.field} = ${exprText(s.value)}`;
  }
}

// ---------------------------------------------------------------- small printers

function at(loc: Loc, withFile = true): string {
  return withFile ? `  @ ${loc.file}:${loc.line}:${loc.column}` : `  @ ${loc.line}:${loc.column}`;
}
const str = (s: string): string => JSON.stringify(s);
const opt = (v: number | null): string => (v === null ? "-" : String(v));

/** 250ms, 5s, 10m, 1h when exact; ms otherwise. */
export function dur(ms: number | null): string {
  if (ms === null) return "-";
  if (ms === 0) return "0ms";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function retryText(r: Retry): string {
  const b = r.backoff;
  const backoff = b.kind === "constant" ? `constant(${dur(b.initial_ms)})` : `${b.kind}(${dur(b.initial_ms)}, ${dur(b.max_ms)})`;
  return `${r.max} ${backoff}${r.jitter ? " jitter" : ""}`;
}

function jsonText(v: JsonValue | unknown): string {
  if (Array.isArray(v)) return `[${v.map(jsonText).join(", ")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v);
    return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${jsonText(x)}`).join(", ")} }` : "{}";
  }
  return v === undefined ? "-" : JSON.stringify(v);
}

function argsText(args: ExprIR): string {
  if (args.k !== "record") return `(${exprText(args)})`;
  return `(${args.fields.map((f) => `${f.key}: ${exprText(f.value)}`).join(", ")})`;
}

// ---------------------------------------------------------------- expressions

const PREC: Record<string, number> = BINARY_PRECEDENCE;
const UNARY = UNARY_PRECEDENCE;
const POSTFIX = POSTFIX_PRECEDENCE;

function prec(e: ExprIR): number {
  if (e.k === "binary") return PREC[e.op]!;
  if (e.k === "unary") return UNARY;
  return POSTFIX + 1;
}

/** An expression as source-like text, parenthesised only where precedence needs it. */
export function exprText(e: ExprIR): string {
  const sub = (x: ExprIR, min: number) => (prec(x) < min ? `(${exprText(x)})` : exprText(x));
  switch (e.k) {
    case "lit":
      return jsonText(e.v);
    case "ref":
      return e.name;
    case "member":
      return `${sub(e.obj, POSTFIX)}${e.optional ? "?." : "."}${e.name}`;
    case "index":
      return `${sub(e.obj, POSTFIX)}[${exprText(e.index)}]`;
    case "nonnull":
      return `${sub(e.expr, POSTFIX)}!`;
    case "call":
      return `${e.fn}(${e.args.map(exprText).join(", ")})`;
    case "unary":
      return `${e.op}${sub(e.operand, UNARY)}`;
    case "binary": {
      const p = PREC[e.op]!;
      return `${sub(e.left, p)} ${e.op} ${sub(e.right, p + 1)}`;
    }
    case "record":
      return e.fields.length ? `{ ${e.fields.map((f) => `${f.key}: ${exprText(f.value)}`).join(", ")} }` : "{}";
    case "list":
      return `[${e.items.map(exprText).join(", ")}]`;
    case "template":
      return templateText(e.segments);
  }
}

function templateText(segments: Segment[]): string {
  const body = segments
    .map((s) => ("text" in s ? s.text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : "expr" in s ? `{{ ${exprText(s.expr)} }}` : `{{ ${s.builtin} }}`))
    .join("");
  return `#"${body}"#`;
}

// ---------------------------------------------------------------- schemas

const PRIMITIVE_NAMES: Record<string, string> = { string: "string", integer: "int", number: "float", boolean: "bool", null: "null" };
const KEYWORD_ATTRS: [string, string][] = [
  ["format", "format"],
  ["pattern", "pattern"],
  ["minimum", "min"],
  ["maximum", "max"],
  ["minLength", "minLength"],
  ["maxLength", "maxLength"],
  ["minItems", "minItems"],
  ["maxItems", "maxItems"],
];

/** A JSON Schema as the type it was lowered from: `list<Order>`, `Triage?`, `"a" | "b"`, `{ a: int }`. */
export function schemaText(schema: unknown): string {
  const s = (schema ?? {}) as Record<string, unknown>;
  const attrs = KEYWORD_ATTRS.filter(([k]) => s[k] !== undefined).map(([k, name]) => ` @${name}(${jsonText(s[k])})`).join("");
  return typeText(s) + attrs;
}

function typeText(s: Record<string, unknown>): string {
  if (typeof s.$ref === "string") return s.$ref.replace(/^#\/\$defs\//, "");
  if (Array.isArray(s.anyOf)) {
    const members = s.anyOf as Record<string, unknown>[];
    const nonNull = members.filter((m) => m.type !== "null");
    if (nonNull.length === 1 && members.length === 2) {
      const inner = schemaText(nonNull[0]);
      return nonNull[0]!.anyOf || inner.includes(" ") ? `(${inner})?` : `${inner}?`;
    }
    return members.map(schemaText).join(" | ");
  }
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in s) return JSON.stringify(s.const);
  if (s.type === "array") return `list<${schemaText(s.items)}>`;
  if (s.type === "object") {
    const props = s.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props && s.additionalProperties && typeof s.additionalProperties === "object") return `map<${schemaText(s.additionalProperties)}>`;
    const fields = Object.entries(props ?? {}).map(([k, v]) => `${k}: ${schemaText(v)}${v.default !== undefined ? ` = ${jsonText(v.default)}` : ""}`);
    return fields.length ? `{ ${fields.join(", ")} }` : "{}";
  }
  if (typeof s.type === "string") return PRIMITIVE_NAMES[s.type] ?? s.type;
  return "any";
}

function paramsText(params: Record<string, unknown>): string {
  const props = (params.properties ?? {}) as Record<string, unknown>;
  return `(${Object.entries(props)
    .map(([k, v]) => `${k}: ${schemaText(v)}`)
    .join(", ")})`;
}
