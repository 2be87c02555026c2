// Static worst-case cost bound of a graph: model calls, tokens and USD (DESIGN §3).
//
// Rules (null = unbounded; `reasons` says why, one line per cause):
// - prompt call: one call per attempt of its model chain. The chain is the prompt's `model`, then
//   its `fallback` models depth-first (each model once); a model with `retry: N` (or
//   `retry { max: N }`) makes N+1 attempts. Tokens per attempt: the prompt's `max_tokens`, else the
//   model's (read as the per-call budget, prompt + completion). USD per attempt: tokens × the larger
//   of `price { input, output }` (USD per 1M tokens).
// - agent call: `limits.turns` turns, each a call of its model chain (so turns × attempts);
//   tokens: `limits.tokens` (a budget over all its calls), else turns × the chain's max_tokens;
//   USD: `limits.cost`, else tokens × the chain's highest price. Each `handoffs` agent adds its
//   own bound; a handoff cycle is unbounded.
// - sub-graph call: that graph's bound; a graph that calls itself (directly or not) is unbounded.
// - tools, `await`, `set`: no model cost. `compensate` counts its call once.
// - `map x in L run f(...)`: f's bound × the most items L can hold: a list literal's length, or
//   `@maxItems(N)` on the field or parameter L names (concurrency changes the time, not the total).
// - node: the sum of its statements × (retry + 1) for `retry N`, × the most times it can run
//   (`maxRuns`: a loop closed by `max N` repeats its body at most N more times, a loop without
//   fan-out is left at most once per entry; a cycle without `max` is unbounded, and AWR4003 reports it).
// - policies: a rule whose condition or transform value calls a prompt (a classifier) adds that
//   prompt's bound at every call its hook applies to — for `before/after model`, every model call
//   attempt (prompt calls and agent turns); for tool and agent hooks, each call of a matching tool
//   or agent (by name, or by tag for tools); for output hooks, each run of the graph. Each prompt a
//   hook's rules call counts once per evaluation (calls are memoised per hook).
// - contexts: a `summarize:` prompt counts once per assembly (each agent of a call with `context:`
//   or `memory:`, each prompt call with `context:`).
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diag } from "../diagnostics/diagnostic.js";
import type { Program } from "../semantic/program.js";
import { lookup } from "../semantic/program.js";
import type {
  AgentDecl,
  CallExpr,
  Decl,
  Expr,
  Field,
  GraphDecl,
  ModelDecl,
  NodeDecl,
  PolicyHook,
  PromptDecl,
  Property,
  TypeExpr,
} from "../syntax/ast.js";
import { graphNodes, graphState, prop } from "../syntax/ast.js";
import { nameValue, numberValue, printExpr, walkExpr } from "./expr.js";
import { graphConditions } from "./exclusive.js";
import { buildGraphModel, maxRuns } from "./graph-model.js";

export interface CostBound {
  modelCalls: number | null;
  tokens: number | null;
  usd: number | null;
  /** Why a component is unbounded (empty when all are bounded). */
  reasons: string[];
}

export interface NodeCost {
  node: string;
  /** The most times the node can run in one run (Infinity: unbounded). */
  runs: number;
  /** The bound of one run of the node, retries included. */
  each: CostBound;
  /** `each` × `runs`. */
  total: CostBound;
}

export interface GraphCostDetail {
  graph: string;
  total: CostBound;
  nodes: NodeCost[];
}

export const ZERO_COST: CostBound = { modelCalls: 0, tokens: 0, usd: 0, reasons: [] };

function unbounded(reason: string): CostBound {
  return { modelCalls: null, tokens: null, usd: null, reasons: [reason] };
}

/** A bound past 2^53 is no bound anyone can act on (and past that, arithmetic is not exact). */
function finite(x: number | null): number | null {
  return x === null || !Number.isFinite(x) || x > Number.MAX_SAFE_INTEGER ? null : x;
}

function addN(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : finite(a + b);
}

export function addCost(a: CostBound, b: CostBound): CostBound {
  return {
    modelCalls: addN(a.modelCalls, b.modelCalls),
    tokens: addN(a.tokens, b.tokens),
    usd: addN(a.usd, b.usd),
    reasons: dedupe([...a.reasons, ...b.reasons]),
  };
}

/** `c` repeated `k` times (k may be Infinity; then `why` explains the unbounded result). */
export function scaleCost(c: CostBound, k: number, why?: string): CostBound {
  if (k === 0) return ZERO_COST;
  const mul = (x: number | null) => (x === null ? null : x === 0 ? 0 : k === Infinity ? null : finite(x * k));
  const r = { modelCalls: mul(c.modelCalls), tokens: mul(c.tokens), usd: mul(c.usd), reasons: c.reasons };
  const newlyUnbounded =
    (r.modelCalls === null && c.modelCalls !== null) || (r.tokens === null && c.tokens !== null) || (r.usd === null && c.usd !== null);
  if (newlyUnbounded && why) r.reasons = dedupe([...r.reasons, why]);
  return r;
}

export function isBounded(c: CostBound): boolean {
  return c.modelCalls !== null && c.tokens !== null && c.usd !== null;
}

function prefixed(c: CostBound, prefix: string): CostBound {
  return { ...c, reasons: c.reasons.map((r) => `${prefix}: ${r}`) };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

// ---------------------------------------------------------------- entry points

/**
 * What a caller may pass in that the walk would otherwise compute from the whole program: the
 * classifier hooks (`classifierHooks(program)`), and the file that declares the graph. The
 * incremental session computes the hooks once per program, not once per graph, and reads them
 * from the real program rather than through its recording view — a walk over every declaration
 * would make every graph's analysis depend on every declaration (compiler/session.ts).
 */
export interface CostOptions {
  hooks?: readonly ClassifierHook[];
  file?: string;
}

export function graphCost(program: Program, graph: GraphDecl, opts: CostOptions = {}): CostBound {
  return graphCostDetail(program, graph, opts).total;
}

export function graphCostDetail(program: Program, graph: GraphDecl, opts: CostOptions = {}): GraphCostDetail {
  const d = new CostContext(program, opts.hooks ?? classifierHooks(program)).graph(graph, opts.file);
  return { ...d, total: representable(d.total), nodes: d.nodes.map((n) => ({ ...n, each: representable(n.each), total: representable(n.total) })) };
}

/** Figures too large to be exact (or infinite, from a huge price) become unbounded, with the reason. */
function representable(c: CostBound): CostBound {
  const out = { ...c, modelCalls: finite(c.modelCalls), tokens: finite(c.tokens), usd: finite(c.usd) };
  // Also fields that overflowed earlier, inside the sums: unbounded with no reason given.
  const lost = (["modelCalls", "tokens", "usd"] as const).filter((k) => (c[k] !== null || c.reasons.length === 0) && out[k] === null);
  if (lost.length) out.reasons = dedupe([...c.reasons, `the worst case of ${lost.join(", ")} exceeds 2^53 (check prices, limits and max values)`]);
  return out;
}

/** AWR7001 (info) when a graph's bound is unbounded, naming the reasons. */
export function costDiagnostics(program: Program, file: string, graph: GraphDecl, opts: Omit<CostOptions, "file"> = {}): Diagnostic[] {
  const c = graphCost(program, graph, { ...opts, file });
  if (isBounded(c)) return [];
  const parts = [c.modelCalls === null && "model calls", c.tokens === null && "tokens", c.usd === null && "USD"].filter(Boolean);
  return [
    diag(
      "AWR7001",
      file,
      graph.name.span,
      `graph "${graph.name.name}" has no static bound on ${parts.join(", ")}: ${c.reasons.join("; ")}`,
    ),
  ];
}

/** Human-readable lines for `awr check --explain-cost`: the total, then one line per node and the reasons. */
export function explainCost(program: Program, graph: GraphDecl): string[] {
  const d = graphCostDetail(program, graph);
  const lines = [`graph ${d.graph}: ${formatCost(d.total)}`];
  for (const n of d.nodes) {
    const runs = n.runs === Infinity ? "runs unbounded" : `runs <= ${n.runs}`;
    const each = n.runs === 1 ? "" : `, each ${formatCost(n.each)}`;
    lines.push(`  node ${n.node} (${runs}${each}): ${formatCost(n.total)}`);
  }
  for (const r of d.total.reasons) lines.push(`  unbounded: ${r}`);
  return lines;
}

export function formatCost(c: CostBound): string {
  const calls = c.modelCalls === null ? "model calls unbounded" : `<= ${c.modelCalls} model call${c.modelCalls === 1 ? "" : "s"}`;
  const tokens = c.tokens === null ? "tokens unbounded" : `<= ${c.tokens} tokens`;
  const usd = c.usd === null ? "USD unbounded" : `<= $${formatUsd(c.usd)}`;
  return `${calls}, ${tokens}, ${usd}`;
}

function formatUsd(x: number): string {
  if (x === 0) return "0";
  return x >= 1 ? x.toFixed(2) : String(Number(x.toPrecision(4)));
}

// ---------------------------------------------------------------- the walk

interface ChainModel {
  name: string;
  decl: ModelDecl;
  attempts: number;
  maxTokens: number | undefined;
  /** The larger of the input and output price, USD per 1M tokens. */
  price: number | undefined;
}

/** A policy hook whose rules call classifier prompts, with those prompts. */
export interface ClassifierHook {
  hook: PolicyHook;
  prompts: { file: string; decl: PromptDecl }[];
}

class CostContext {
  private readonly graphs: GraphDecl[] = [];
  private readonly agents: string[] = [];
  constructor(
    private readonly program: Program,
    private readonly hooks: readonly ClassifierHook[],
  ) {}

  /** The classifier prompts' bound at one call of `target` named `name` (tags: a tool's). */
  private policyCost(phaseTarget: PolicyHook["target"], name: string, tags: string[] = []): CostBound {
    let c = ZERO_COST;

    for (const h of this.hooks) {
      if (h.hook.target !== phaseTarget) continue;
      const sel = h.hook.selector;
      if (sel?.kind === "name" && sel.name.name !== name) continue;
      if (sel?.kind === "tagged") {
        const tag = sel.tag.parts.join(".");
        if (!tags.some((t) => t === tag || t.startsWith(`${tag}.`))) continue;
      }
      // A classifier's own model calls pass no classifier (docs/policies.md): its chain alone.
      for (const p of h.prompts) c = addCost(c, prefixed(this.promptModels(p.file, p.decl), `a classifier of ${h.hook.phase} ${h.hook.target}`));
    }
    return c;
  }

  /** The `summarize:` prompt of a context, once per assembly (ZERO when it has none). */
  private summaryCost(file: string, contextName: string | undefined): CostBound {
    if (!contextName) return ZERO_COST;
    const sym = symbolOf(this.program, file, contextName);
    if (sym?.decl.kind !== "ContextDecl") return ZERO_COST;
    const summarizer = nameValue(prop(sym.decl.props, "summarize")?.value);
    const ps = summarizer ? (symbolOf(this.program, sym.file, summarizer)) : undefined;
    return ps?.decl.kind === "PromptDecl" ? prefixed(this.prompt(ps.file, ps.decl), `the summary of context ${contextName}`) : ZERO_COST;
  }

  graph(graph: GraphDecl, declaredIn?: string): GraphCostDetail {
    const name = graph.name.name;
    this.graphs.push(graph);
    try {
      const file = declaredIn ?? fileOf(this.program, graph);
      const runs = maxRuns(buildGraphModel(graph), graphConditions(this.program, file, graph));
      const nodes: NodeCost[] = [];
      let total = ZERO_COST;
      for (const node of graphNodes(graph)) {
        const n = runs.get(node.name.name);
        if (n === undefined) continue; // reserved or duplicated name, reported by the graph analysis
        const each = prefixed(this.node(file, graph, node), `node ${node.name.name}`);
        const t = scaleCost(each, n, `node ${node.name.name} can run without bound (it is on a cycle without \`max\`)`);
        nodes.push({ node: node.name.name, runs: n, each, total: t });
        total = addCost(total, t);
      }
      // The graph's result passes the output hooks once.
      total = addCost(total, this.policyCost("output", name));
      return { graph: name, total, nodes };
    } finally {
      this.graphs.pop();
    }
  }

  private node(file: string, graph: GraphDecl, node: NodeDecl): CostBound {
    let c = ZERO_COST;
    let retries = 0;
    for (const s of node.stmts) {
      if (s.kind === "Run" || s.kind === "Compensate") c = addCost(c, this.call(file, s.call));
      else if (s.kind === "Map") {
        const each = this.call(file, s.call);
        const n = this.listBound(file, graph, s.source);
        const why = `map over ${printExpr(s.source)} has no known bound (${n.hint})`;
        c = addCost(c, scaleCost(each, n.max ?? Infinity, why));
      } else if (s.kind === "Retry") retries = retryCount(s.value) ?? 0;
    }
    return scaleCost(c, retries + 1);
  }

  private call(file: string, call: CallExpr): CostBound {
    const name = nameValue(call.callee);
    const sym = name ? (symbolOf(this.program, file, name)) : undefined;
    if (!sym) return ZERO_COST;
    switch (sym.decl.kind) {
      case "PromptDecl":
        return this.prompt(sym.file, sym.decl);
      case "AgentDecl":
        return this.agent(sym.file, sym.decl);
      case "ToolDecl":
        return this.policyCost("tool", sym.name, toolTags(sym.decl));
      case "GraphDecl": {
        const g = sym.decl;
        if (this.graphs.includes(g)) {
          const loop = [...this.graphs.slice(this.graphs.indexOf(g)), g].map((x) => x.name.name).join(" → ");
          return unbounded(`graph ${sym.name} calls itself (${loop})`);
        }
        return prefixed(this.graph(g).total, `graph ${sym.name}`);
      }
      default:
        return ZERO_COST;
    }
  }

  private prompt(file: string, p: PromptDecl): CostBound {
    const own = this.promptModels(file, p);
    const modelName = nameValue(prop(p.props, "model")?.value);
    let c = addCost(own, this.summaryCost(file, nameValue(prop(p.props, "context")?.value)));
    // Every attempt of every model of the chain passes the model hooks.
    for (const m of modelName ? this.chain(file, modelName) : []) c = addCost(c, scaleCost(this.policyCost("model", m.name), m.attempts));
    return c;
  }

  /** The model calls of one prompt call: its chain's attempts, tokens and USD. */
  private promptModels(file: string, p: PromptDecl): CostBound {
    const name = p.name.name;
    const modelName = nameValue(prop(p.props, "model")?.value);
    if (!modelName) return { modelCalls: 1, tokens: null, usd: null, reasons: [`prompt ${name} has no model`] };
    const chain = this.chain(file, modelName);
    const promptMax = positive(numberValue(prop(p.props, "max_tokens")?.value));
    const reasons: string[] = [];
    let calls = 0;
    let tokens: number | null = 0;
    let usd: number | null = 0;
    for (const m of chain) {
      calls += m.attempts;
      const perCall = promptMax ?? m.maxTokens;
      if (perCall === undefined) {
        reasons.push(`prompt ${name}: model ${m.name} has no max_tokens`);
        tokens = usd = null;
        continue;
      }
      if (tokens !== null) tokens += m.attempts * perCall;
      if (m.price === undefined) {
        if (usd !== null) reasons.push(`prompt ${name}: model ${m.name} has no price`);
        usd = null;
      } else if (usd !== null) usd += (m.attempts * perCall * m.price) / 1e6;
    }
    if (chain.length === 0) return { modelCalls: 1, tokens: null, usd: null, reasons: [`prompt ${name}: model ${modelName} is unknown`] };
    return { modelCalls: calls, tokens, usd, reasons };
  }

  private agent(file: string, a: AgentDecl): CostBound {
    const name = a.name.name;
    if (this.agents.includes(name)) {
      const loop = [...this.agents.slice(this.agents.indexOf(name)), name].join(" → ");
      return unbounded(`agent ${name}: handoff cycle ${loop}`);
    }
    this.agents.push(name);
    try {
      const limits = recordFields(prop(a.props, "limits"));
      const turns = positive(numberValue(limits.get("turns")));
      const budget = positive(numberValue(limits.get("tokens")));
      const cost = nonNegative(numberValue(limits.get("cost")));
      const modelName = nameValue(prop(a.props, "model")?.value);
      const chain = modelName ? this.chain(file, modelName) : [];
      const attempts = chain.length ? chain.reduce((s, m) => s + m.attempts, 0) : 1;
      const reasons: string[] = [];
      const calls = turns === undefined ? null : turns * attempts;
      if (calls === null) reasons.push(`agent ${name} has no limits.turns`);
      let tokens: number | null = budget ?? null;
      if (tokens === null) {
        const perTurn = chain.length && chain.every((m) => m.maxTokens !== undefined) ? chain.reduce((s, m) => s + m.attempts * m.maxTokens!, 0) : undefined;
        if (turns !== undefined && perTurn !== undefined) tokens = turns * perTurn;
        else reasons.push(`agent ${name} has no limits.tokens`);
      }
      let usd: number | null = cost ?? null;
      if (usd === null && tokens !== null) {
        const prices = chain.map((m) => m.price);
        if (prices.length && prices.every((p) => p !== undefined)) usd = (tokens * Math.max(...(prices as number[]))) / 1e6;
        else reasons.push(`agent ${name} has no limits.cost and ${modelName ? `model ${chain.find((m) => m.price === undefined)?.name ?? modelName}` : "no model"} has no price`);
      }
      let c: CostBound = { modelCalls: calls, tokens, usd, reasons };
      // Policies and summaries: each turn's model attempts pass the model hooks; the call passes the
      // agent hooks; its context and memory may be summarised; its tools' hooks run per tool call,
      // and the number of tool calls in a turn is the model's choice (unbounded when they classify).
      let perTurn = ZERO_COST;
      for (const m of chain) perTurn = addCost(perTurn, scaleCost(this.policyCost("model", m.name), m.attempts));
      c = addCost(c, scaleCost(perTurn, turns ?? Infinity, `agent ${name} has no limits.turns`));
      c = addCost(c, this.policyCost("agent", name));
      c = addCost(c, this.summaryCost(file, nameValue(prop(a.props, "context")?.value)));
      c = addCost(c, this.summaryCost(file, nameValue(prop(a.props, "memory")?.value)));
      const tools = prop(a.props, "tools")?.value;
      for (const t of tools?.kind === "List" ? tools.items : tools ? [tools] : []) {
        const tn = nameValue(t);
        const ts = tn ? (symbolOf(this.program, file, tn)) : undefined;
        if (ts?.decl.kind !== "ToolDecl") continue;
        const per = this.policyCost("tool", tn!, toolTags(ts.decl));
        c = addCost(c, scaleCost(per, Infinity, `agent ${name} may call ${tn} any number of times, and a policy classifies each call`));
      }
      const handoffs = prop(a.props, "handoffs")?.value;
      for (const h of handoffs?.kind === "List" ? handoffs.items : handoffs ? [handoffs] : []) {
        const target = nameValue(h);
        const sym = target ? (symbolOf(this.program, file, target)) : undefined;
        if (sym?.decl.kind === "AgentDecl") c = addCost(c, prefixed(this.agent(sym.file, sym.decl), `handoff from ${name}`));
      }
      return c;
    } finally {
      this.agents.pop();
    }
  }

  /** The model and its fallbacks, depth-first, each once. */
  private chain(file: string, modelName: string): ChainModel[] {
    const out: ChainModel[] = [];
    const visit = (from: string, name: string) => {
      if (out.some((m) => m.name === name)) return;
      const sym = symbolOf(this.program, from, name);
      if (sym?.decl.kind !== "ModelDecl") return;
      const d = sym.decl;
      out.push({
        name,
        decl: d,
        attempts: (retryCount(prop(d.props, "retry")?.value) ?? 0) + 1,
        maxTokens: positive(numberValue(prop(d.props, "max_tokens")?.value)),
        price: priceOf(prop(d.props, "price")),
      });
      const fb = prop(d.props, "fallback")?.value;
      for (const f of fb?.kind === "List" ? fb.items : fb ? [fb] : []) {
        const n = nameValue(f);
        if (n) visit(sym.file, n);
      }
    };
    visit(file, modelName);
    return out;
  }

  /** The most items a list expression can hold, or a hint on how to bound it. */
  private listBound(file: string, graph: GraphDecl, e: Expr): { max?: number; hint: string } {
    const generic = "add @maxItems(N) to the list's field, or map over a list literal";
    if (e.kind === "List") return { max: e.items.length, hint: "" };
    if (e.kind === "NonNull") return this.listBound(file, graph, e.expr);
    const resolved = this.fieldOf(file, graph, e);
    if (!resolved) return { hint: generic };
    const attr = resolved.field.attrs.find((a) => a.name.name === "maxItems");
    const n = numberValue(attr?.args[0]);
    if (n !== undefined && n >= 0) return { max: Math.floor(n), hint: "" };
    return { hint: `add @maxItems(N) to ${resolved.where}` };
  }

  /** The declared field (parameter, state field or type field) an access path names. */
  private fieldOf(file: string, graph: GraphDecl, e: Expr): { field: Field; where: string } | undefined {
    if (e.kind === "NonNull") return this.fieldOf(file, graph, e.expr);
    if (e.kind === "Name") {
      const param = graph.params.find((p) => p.name.name === e.name);
      if (param) return { field: param, where: `parameter ${e.name} of graph ${graph.name.name}` };
      const state = graphState(graph).find((f) => f.name.name === e.name);
      if (state) return { field: state, where: `state field ${e.name}` };
      return undefined;
    }
    if (e.kind === "Member") {
      const owner = this.fieldOf(file, graph, e.object);
      const type = owner && this.typeDecl(file, owner.field.type);
      const field = type?.decl.fields.find((f) => f.name.name === e.name.name);
      return field && type ? { field, where: `field ${type.decl.name.name}.${field.name.name}` } : undefined;
    }
    return undefined;
  }

  private typeDecl(file: string, t: TypeExpr | undefined, depth = 0): { decl: Extract<Decl, { kind: "TypeDecl" }>; file: string } | undefined {
    if (!t || depth > 8) return undefined;
    if (t.kind === "OptionalType") return this.typeDecl(file, t.inner, depth + 1);
    if (t.kind !== "NamedType") return undefined;
    const sym = symbolOf(this.program, file, t.name.name);
    if (sym?.decl.kind !== "TypeDecl") return undefined;
    if (sym.decl.alias) return this.typeDecl(sym.file, sym.decl.alias, depth + 1);
    return { decl: sym.decl, file: sym.file };
  }
}

/** The file that declares `decl` (by identity, then by name). */
export function fileOf(program: Program, decl: Decl): string {
  for (const [file, m] of program.modules) if (m.ast.decls.includes(decl)) return file;
  return program.globals.get(decl.name.name)?.file ?? program.entries[0] ?? "";
}

/** `retry N` / `retry: N` / `retry { max: N, ... }`: the number of retries after the first attempt. */
function retryCount(e: Expr | undefined): number | undefined {
  if (!e) return undefined;
  const n = e.kind === "Record" ? numberValue(e.fields.find((f) => f.key.name === "max")?.value) : numberValue(e);
  return n !== undefined && n >= 0 ? Math.floor(n) : undefined;
}

function recordFields(p: Property | undefined): Map<string, Expr> {
  const v = p?.value;
  return new Map(v?.kind === "Record" ? v.fields.map((f) => [f.key.name, f.value]) : []);
}

function priceOf(p: Property | undefined): number | undefined {
  const f = recordFields(p);
  const prices = [numberValue(f.get("input")), numberValue(f.get("output"))].filter((x): x is number => x !== undefined && x >= 0);
  return prices.length ? Math.max(...prices) : undefined;
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}
function nonNegative(n: number | undefined): number | undefined {
  return n !== undefined && n >= 0 ? n : undefined;
}

/** A name as seen from `file`: its module's scope, else any declaration of the program. */
function symbolOf(program: Program, file: string, name: string) {
  return lookup(program, file, name) ?? program.globals.get(name);
}

/** A tool's tags as written (`tags: [pii.read, crm]`). */
function toolTags(t: Decl & { props: Property[] }): string[] {
  const v = prop(t.props, "tags")?.value;
  const items = v?.kind === "List" ? v.items : v ? [v] : [];
  return items.map((e) => printExpr(e)).filter((x) => x !== "");
}

const hooksOf = new WeakMap<Program, ClassifierHook[]>();

/**
 * Every policy hook of the program whose rules call prompts (classifiers), with those prompts.
 * Computed once per program (every graph's bound needs it; computing it per graph made a check of
 * a program with G graphs and D declarations cost G × D).
 */
export function classifierHooks(program: Program): ClassifierHook[] {
  let out = hooksOf.get(program);
  if (!out) hooksOf.set(program, (out = findClassifierHooks(program)));
  return out;
}

/** Two answers of `classifierHooks` that a cost walk cannot tell apart: the same hooks calling the same prompts. */
export function sameClassifierHooks(a: readonly ClassifierHook[], b: readonly ClassifierHook[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((h, i) => {
    const o = b[i]!;
    return h.hook === o.hook && h.prompts.length === o.prompts.length && h.prompts.every((p, j) => p.decl === o.prompts[j]!.decl && p.file === o.prompts[j]!.file);
  });
}

function findClassifierHooks(program: Program): ClassifierHook[] {
  const out: ClassifierHook[] = [];
  for (const sym of program.globals.values()) {
    if (sym.decl.kind !== "PolicyDecl") continue;
    for (const hook of sym.decl.hooks) {
      const prompts = new Map<PromptDecl, string>();
      for (const r of hook.rules) {
        for (const e of [r.when, r.value]) {
          walkExpr(e, (x) => {
            if (x.kind !== "Call") return;
            const n = nameValue(x.callee);
            const target = n ? (symbolOf(program, sym.file, n)) : undefined;
            if (target?.decl.kind === "PromptDecl") prompts.set(target.decl, target.file);
          });
        }
      }
      if (prompts.size) out.push({ hook, prompts: [...prompts].map(([decl, file]) => ({ decl, file })) });
    }
  }
  return out;
}
