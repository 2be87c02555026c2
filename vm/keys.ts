// Effect keys: the names of a run's journal entries, events and audit steps — a stored format, like
// the plan (docs/vm.md § Effect keys (stored format)). Every key is built here and read here: a
// store written by one version resumes in the next only while these strings stay byte-identical
// (test/vm/keys.test.ts pins them).
//
// A key is built from the key of what contains it (its parent) plus one production; node and
// statement ids are the plan's own (compiler/plan/ids.ts: `graph:G/node:N`, `…/stmt:I`), and the
// scope of a graph is "" at the top level or `CALLKEY/` inside the call of a sub-graph.
import { nodeId, stmtId } from "../compiler/plan/index.js";

/** "" (the top-level graph) or the key of the call of a sub-graph followed by `/`. */
export type Scope = string;

/**
 * The spelling of a run's keys, recorded when the run starts (`meta.keyFormat`; absent: 1, a run
 * stored before format 2). The formats differ in one production: a tool's own retry attempt N is
 * `KEY@N` in format 1 — the string of node attempt N of the same statement, so a node with `retry`
 * calling a tool with `retry` read one journal entry for both — and `KEY~N` in format 2. A run keeps
 * its format for life: its journal is only read with the keys it was written with.
 */
export type KeyFormat = 1 | 2;
/** The format of runs started now. */
export const KEY_FORMAT: KeyFormat = 2;

/** The key format a run was started with, from its `meta` (1 when absent: stored before format 2). */
export function keyFormatOf(meta: unknown): KeyFormat {
  return meta !== null && typeof meta === "object" && !Array.isArray(meta) && (meta as Record<string, unknown>)["keyFormat"] === 2 ? 2 : 1;
}

// -------------------------------------------------------------------- builders

/** The scope of a sub-graph called under `callKey`. */
export const subgraphScope = (callKey: string): Scope => `${callKey}/`;
/** A superstep of a graph invocation (events only): `SCOPE graph:G/superstep:I`. */
export const superstepKey = (scope: Scope, graph: string, index: number): string => `${scope}graph:${graph}/superstep:${index}`;
/** A top-level graph's snapshot after superstep N (vm/exec/snapshot.ts): `graph:G/snapshot:N`. */
export const snapshotKey = (graph: string, steps: number): string => `${snapshotPrefix(graph)}${steps}`;
/** What every snapshot key of `graph` starts with. */
export const snapshotPrefix = (graph: string): string => `graph:${graph}/snapshot:`;
/** The output hooks of a graph invocation: `SCOPE graph:G/output`. */
export const outputKey = (scope: Scope, graph: string): string => `${scope}graph:${graph}/output`;
/** A node invocation (the `step` of step events): `SCOPE NODEID#ITER`. */
export const stepKey = (scope: Scope, node: string, iter: number): string => `${scope}${node}#${iter}`;
/** A statement of a node invocation, attempt `retry` of the node's `retry` (0: no suffix): `SCOPE STMTID#ITER[@RETRY]`. */
export const stmtKey = (scope: Scope, stmt: string, iter: number, retry = 0): string => `${scope}${stmt}#${iter}${retry ? `@${retry}` : ""}`;
/** The call for item `index` of a `map` statement: `KEY[INDEX]`. */
export const mapItemKey = (key: string, index: number): string => `${key}[${index}]`;
/** Attempt `n` of a tool's own `retry` (0: the call's key itself): `KEY@N` in key format 1, `KEY~N` in format 2 (pass the run's). */
export const attemptKey = (key: string, n: number, format: KeyFormat = 1): string => (n ? `${key}${format === 2 ? "~" : "@"}${n}` : key);
/** The node-level compensation (`compensate` in a node) registered on node attempt `retry`: `STEP[@RETRY]/compensate`. */
export const compensateKey = (step: string, retry = 0): string => `${step}${retry ? `@${retry}` : ""}/compensate`;
/** The journaled undo call of a compensation: `COMPENSATE/undo` (a node's), `CALLKEY/undo` (a tool's `compensate:`). */
export const undoKey = (compensate: string): string => `${compensate}/undo`;
/** The model hooks of a call's model `model` (audit step; parent of approvals and classifiers): `KEY/MODEL`. */
export const modelHookKey = (key: string, model: string): string => `${key}/${model}`;
/** Attempt `n` (from 0) of model `model` for a prompt call or an agent turn: `KEY/MODEL@N`. */
export const modelAttemptKey = (key: string, model: string, n: number): string => `${key}/${model}@${n}`;
/**
 * A context assembly: a prompt's `KEY/context` (no segment) or the `context:`/`memory:` of the
 * `segment`-th agent of an agent call (handoffs add segments): `KEY/context<S>`, `KEY/memory<S>`.
 */
export const contextKey = (key: string, source: "context" | "memory", segment?: number): string => `${key}/${source}${segment ?? ""}`;
/** The `summarize` prompt call of an assembly over its budget: `CONTEXT/summary`. */
export const summaryKey = (context: string): string => `${context}/summary`;
/** An agent call's session history read: `KEY/session`. */
export const sessionKey = (key: string): string => `${key}/session`;
/** An agent call's session write: `KEY/session/append`. */
export const sessionAppendKey = (key: string): string => `${key}/session/append`;
/** Model turn `turn` of an agent call (counted across handoffs): `KEY/turn<T>`. */
export const turnKey = (key: string, turn: number): string => `${key}/turn${turn}`;
/** The `index`-th tool call a model asked for in a turn: `TURN/call<I>`. */
export const agentToolKey = (turn: string, index: number): string => `${turn}/call${index}`;
/** The before-agent hook of a handoff's target: `TURN/handoff`. */
export const handoffKey = (turn: string): string => `${turn}/handoff`;
/** The interrupt a policy's `approve` waits on at a hook: `HOOK/approval`. */
export const approvalKey = (hook: string): string => `${hook}/approval`;
const CLASSIFY = "/classify:";
/**
 * A classifier prompt call of rule `rule` (its plan id `policy:P/hook:H/rule:R`) at a hook; `n` > 0
 * for the same rule and prompt with other arguments: `HOOK/RULEID/classify:PROMPT[#N]`.
 */
export const classifyKey = (hook: string, rule: string, prompt: string, n = 0): string => `${hook}/${rule}${CLASSIFY}${prompt}${n ? `#${n}` : ""}`;
/** Whether a key lies under a classifier call (its hooks are not classified again). */
export const underClassifier = (key: string): boolean => key.includes(CLASSIFY);
/** The idempotency key a tool receives for a call (the same for all its attempts): `RUNID/KEY`. */
export const idempotencyKey = (runId: string, key: string): string => `${runId}/${key}`;

// -------------------------------------------------------------------- the parser

/** One production of the grammar; `parent` is the key it was built on (parse it again to go up). */
export type EffectKey =
  | { kind: "snapshot"; graph: string; steps: number }
  | { kind: "superstep"; scope: Scope; graph: string; index: number }
  | { kind: "output"; scope: Scope; graph: string }
  | { kind: "step"; scope: Scope; graph: string; node: string; iter: number }
  | { kind: "stmt"; scope: Scope; graph: string; node: string; stmt: number; iter: number; retry: number }
  | { kind: "map"; parent: string; index: number }
  | { kind: "attempt"; parent: string; attempt: number; /** 2: spelled `~N` (key format 2); absent: `@N`. */ format?: 2 }
  | { kind: "compensate"; parent: string; retry: number }
  | { kind: "undo"; parent: string }
  | { kind: "modelHook"; parent: string; model: string }
  | { kind: "modelAttempt"; parent: string; model: string; attempt: number }
  | { kind: "context"; parent: string; source: "context" | "memory"; segment: number | undefined }
  | { kind: "summary"; parent: string }
  | { kind: "session"; parent: string }
  | { kind: "sessionAppend"; parent: string }
  | { kind: "turn"; parent: string; turn: number }
  | { kind: "agentTool"; parent: string; index: number }
  | { kind: "handoff"; parent: string }
  | { kind: "approval"; parent: string }
  | { kind: "classify"; parent: string; policy: string; hook: number; rule: number; prompt: string; n: number };

export type EffectKeyKind = EffectKey["kind"];

// A name: whatever the plan calls a graph, node, model or prompt, less the key's own separators.
const N = "[^/#@\\[\\]]+";
const I = "(0|[1-9]\\d*)";
const SCOPE = "((?:.*/)?)";
const SNAPSHOT = new RegExp(`^graph:(${N})/snapshot:${I}$`);
const SUPERSTEP = new RegExp(`^${SCOPE}graph:(${N})/superstep:${I}$`);
const OUTPUT = new RegExp(`^${SCOPE}graph:(${N})/output$`);
const STEP = new RegExp(`^${SCOPE}graph:(${N})/node:(${N})#${I}$`);
const STMT = new RegExp(`^${SCOPE}graph:(${N})/node:(${N})/stmt:${I}#${I}(?:@${I})?$`);
const MAP = new RegExp(`^(.+)\\[${I}\\]$`);
const COMPENSATE = new RegExp(`^(.+#${I})(?:@${I})?/compensate$`);
const CLASSIFY_RE = new RegExp(`^(.+)/policy:(${N})/hook:${I}/rule:${I}/classify:(${N})(?:#${I})?$`);
const CONTEXT = new RegExp(`^(.+)/(context|memory)(${I})?$`);
const TURN = new RegExp(`^(.+)/turn${I}$`);
const AGENT_TOOL = new RegExp(`^(.+)/call${I}$`);
const MODEL_ATTEMPT = new RegExp(`^(.+)/(${N})@${I}$`);
const ATTEMPT = new RegExp(`^(.+)@${I}$`);
const ATTEMPT_2 = new RegExp(`^(.+)~${I}$`);
const MODEL_HOOK = new RegExp(`^(.+)/(${N})$`);
const LEAF: [string, "undo" | "summary" | "session" | "sessionAppend" | "handoff" | "approval"][] = [
  ["/undo", "undo"],
  ["/summary", "summary"],
  ["/session/append", "sessionAppend"],
  ["/session", "session"],
  ["/handoff", "handoff"],
  ["/approval", "approval"],
];
// What a production may hang under: the parent kinds the interpreter builds it on.
/** Calls of a statement (graphs, agents, tools, prompts): a sub-graph's scope, an agent's session and turns. */
const STMT_CALLS = new Set<EffectKeyKind>(["stmt", "map"]);
/** Tool calls (a tool's own retry attempts). */
const TOOL_CALLS = new Set<EffectKeyKind>(["stmt", "map", "agentTool"]);
/** Prompt calls (a prompt's `context:`). */
const PROMPT_CALLS = new Set<EffectKeyKind>(["stmt", "map", "classify", "summary"]);
/** Model calls: prompt calls and agent turns. */
const MODEL_CALLS = new Set<EffectKeyKind>([...PROMPT_CALLS, "turn"]);
/** Keys a policy hook runs at (approvals and classifiers hang under them). */
const HOOKS = new Set<EffectKeyKind>(["stmt", "map", "agentTool", "classify", "summary", "modelHook", "output", "handoff", "undo"]);

const num = (s: string | undefined) => Number(s ?? 0);
const scopeOk = (scope: string) => scope === "" || (scope.endsWith("/") && kindIs(scope.slice(0, -1), STMT_CALLS));
const kindIs = (key: string, kinds: Set<EffectKeyKind>) => {
  const k = parseKey(key);
  return k !== undefined && kinds.has(k.kind);
};

/**
 * The production a key was built by, or undefined for a string no builder makes. Read from the
 * right: the last production decides, and its parent must parse too. Where two productions spell
 * the same string (docs/vm.md § Effect keys: `…#I@N`, a model named like a reserved segment) the
 * reading listed first in the grammar wins.
 */
export function parseKey(key: string): EffectKey | undefined {
  let k = parsed.get(key);
  if (k === undefined && !parsed.has(key)) {
    if (parsed.size >= 10_000) parsed.clear();
    k = parse(key);
    parsed.set(key, k);
  }
  return k;
}
/** Reports and tracing ask about the same keys again and again (a key's parents above all). */
const parsed = new Map<string, EffectKey | undefined>();

function parse(key: string): EffectKey | undefined {
  let m: RegExpExecArray | null;
  if ((m = SNAPSHOT.exec(key))) return { kind: "snapshot", graph: m[1]!, steps: num(m[2]) };
  if ((m = SUPERSTEP.exec(key)) && scopeOk(m[1]!)) return { kind: "superstep", scope: m[1]!, graph: m[2]!, index: num(m[3]) };
  if ((m = OUTPUT.exec(key)) && scopeOk(m[1]!)) return { kind: "output", scope: m[1]!, graph: m[2]! };
  if ((m = STEP.exec(key)) && scopeOk(m[1]!)) return { kind: "step", scope: m[1]!, graph: m[2]!, node: m[3]!, iter: num(m[4]) };
  if ((m = STMT.exec(key)) && scopeOk(m[1]!)) return { kind: "stmt", scope: m[1]!, graph: m[2]!, node: m[3]!, stmt: num(m[4]), iter: num(m[5]), retry: num(m[6]) };
  if ((m = MAP.exec(key)) && parseKey(m[1]!)?.kind === "stmt") return { kind: "map", parent: m[1]!, index: num(m[2]) };
  if ((m = COMPENSATE.exec(key)) && parseKey(m[1]!)?.kind === "step") return { kind: "compensate", parent: m[1]!, retry: num(m[3]) };
  for (const [suffix, kind] of LEAF) {
    if (!key.endsWith(suffix)) continue;
    const parent = key.slice(0, -suffix.length);
    const p = parseKey(parent);
    if (!p) continue;
    const fits =
      kind === "undo" ? p.kind === "compensate" || TOOL_CALLS.has(p.kind)
      : kind === "summary" ? p.kind === "context"
      : kind === "handoff" ? p.kind === "turn"
      : kind === "approval" ? HOOKS.has(p.kind)
      : STMT_CALLS.has(p.kind);
    if (fits) return { kind, parent };
  }
  if ((m = CLASSIFY_RE.exec(key)) && kindIs(m[1]!, HOOKS)) return { kind: "classify", parent: m[1]!, policy: m[2]!, hook: num(m[3]), rule: num(m[4]), prompt: m[5]!, n: num(m[6]) };
  if ((m = CONTEXT.exec(key)) && (m[2] === "context" || m[3] !== undefined) && kindIs(m[1]!, m[3] === undefined ? PROMPT_CALLS : STMT_CALLS)) return { kind: "context", parent: m[1]!, source: m[2] as "context" | "memory", segment: m[3] === undefined ? undefined : num(m[3]) };
  if ((m = TURN.exec(key)) && kindIs(m[1]!, STMT_CALLS)) return { kind: "turn", parent: m[1]!, turn: num(m[2]) };
  if ((m = AGENT_TOOL.exec(key)) && parseKey(m[1]!)?.kind === "turn") return { kind: "agentTool", parent: m[1]!, index: num(m[2]) };
  if ((m = ATTEMPT.exec(key)) && kindIs(m[1]!, TOOL_CALLS)) return { kind: "attempt", parent: m[1]!, attempt: num(m[2]) };
  if ((m = ATTEMPT_2.exec(key)) && kindIs(m[1]!, TOOL_CALLS)) return { kind: "attempt", parent: m[1]!, attempt: num(m[2]), format: 2 };
  if ((m = MODEL_ATTEMPT.exec(key)) && kindIs(m[1]!, MODEL_CALLS)) return { kind: "modelAttempt", parent: m[1]!, model: m[2]!, attempt: num(m[3]) };
  if ((m = MODEL_HOOK.exec(key)) && kindIs(m[1]!, MODEL_CALLS)) return { kind: "modelHook", parent: m[1]!, model: m[2]! };
  return undefined;
}

/** Builds the key a parse returned (the inverse of `parseKey`). */
export function buildKey(k: EffectKey): string {
  switch (k.kind) {
    case "snapshot":
      return snapshotKey(k.graph, k.steps);
    case "superstep":
      return superstepKey(k.scope, k.graph, k.index);
    case "output":
      return outputKey(k.scope, k.graph);
    case "step":
      return stepKey(k.scope, nodeId(k.graph, k.node), k.iter);
    case "stmt":
      return stmtKey(k.scope, stmtId(k.graph, k.node, k.stmt), k.iter, k.retry);
    case "map":
      return mapItemKey(k.parent, k.index);
    case "attempt":
      return attemptKey(k.parent, k.attempt, k.format ?? 1);
    case "compensate":
      return compensateKey(k.parent, k.retry);
    case "undo":
      return undoKey(k.parent);
    case "modelHook":
      return modelHookKey(k.parent, k.model);
    case "modelAttempt":
      return modelAttemptKey(k.parent, k.model, k.attempt);
    case "context":
      return contextKey(k.parent, k.source, k.segment);
    case "summary":
      return summaryKey(k.parent);
    case "session":
      return sessionKey(k.parent);
    case "sessionAppend":
      return sessionAppendKey(k.parent);
    case "turn":
      return turnKey(k.parent, k.turn);
    case "agentTool":
      return agentToolKey(k.parent, k.index);
    case "handoff":
      return handoffKey(k.parent);
    case "approval":
      return approvalKey(k.parent);
    case "classify":
      return classifyKey(k.parent, `policy:${k.policy}/hook:${k.hook}/rule:${k.rule}`, k.prompt, k.n);
  }
}

/** The key a production was built on (its scope's call key for graph-level ones), if any. */
export function parentKey(k: EffectKey): string | undefined {
  if ("parent" in k) return k.parent;
  if ("scope" in k && k.scope !== "") return k.scope.slice(0, -1);
  return undefined;
}

// -------------------------------------------------------------------- questions about a key

/** A node invocation: its step key and where it runs. */
export interface StepOfKey {
  /** The step key (`SCOPE graph:G/node:N#ITER`, as in step events). */
  step: string;
  graph: string;
  node: string;
  /** Enclosing sub-graph calls (0 at the top level). */
  depth: number;
}

/**
 * The node invocation a key belongs to (the innermost, in nested graphs), or undefined for keys
 * outside any node (a top-level graph's output hooks, snapshots) and strings that are no key.
 */
export function stepOfKey(key: string): StepOfKey | undefined {
  let found: Omit<StepOfKey, "depth"> | undefined;
  let depth = 0;
  for (let k = parseKey(key); k; ) {
    if (k.kind === "step" || k.kind === "stmt") {
      if (found) depth++;
      else found = { step: stepKey(k.scope, nodeId(k.graph, k.node), k.iter), graph: k.graph, node: k.node };
    }
    const up = parentKey(k);
    k = up === undefined ? undefined : parseKey(up);
  }
  return found && { ...found, depth };
}

/** The step key an effect key belongs to (see `stepOfKey`). */
export function stepKeyOf(key: string): string | undefined {
  return stepOfKey(key)?.step;
}

/** The step whose call of a sub-graph a step runs in, if any. */
export function parentStepOf(step: string): string | undefined {
  const k = parseKey(step);
  return k?.kind === "step" && k.scope !== "" ? stepKeyOf(k.scope.slice(0, -1)) : undefined;
}

/** The graph a step key runs in (the innermost one for nested graphs). */
export function graphOfStep(step: string): string | undefined {
  const k = parseKey(step);
  return k?.kind === "step" ? k.graph : undefined;
}

/** The graph invocation a superstep or step key belongs to: `SCOPE graph:G`. */
export function graphScopeOf(key: string): string | undefined {
  const k = parseKey(key);
  return k?.kind === "step" || k?.kind === "superstep" ? `${k.scope}graph:${k.graph}` : undefined;
}

/** The agent call a model attempt of an agent turn belongs to (`CALL/turn<T>/MODEL@N` → CALL). */
export function agentCallOfTurn(key: string): string | undefined {
  const k = parseKey(key);
  if (k?.kind !== "modelAttempt") return undefined;
  const turn = parseKey(k.parent);
  return turn?.kind === "turn" ? turn.parent : undefined;
}
