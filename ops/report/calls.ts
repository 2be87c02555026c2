// The calls of a run as the journal recorded them: every model call (one per attempt and model of
// the fallback chain) and tool call, paired intent → outcome, with the tokens and the cost frozen
// in the outcome at call time. The cost report and the run report both read calls from here, so
// they always agree; neither ever recomputes a cost from today's prices.
import type { Plan } from "../../compiler/plan/index.js";
import type { FailureInfo, Json, JournalEntry, LoadedRun } from "../../vm/types.js";
import { agentCallOfTurn } from "../../vm/keys.js";

export type CallStatus = "ok" | "failed" | "unfinished";

export interface CallRecord {
  runId: string;
  /** The graph the run executes (sub-graph calls count towards it). */
  graph: string;
  /** The journal key (unique in the run). */
  key: string;
  /** The plan step id (a statement id; for compensations, the key of what they undo). */
  step: string;
  kind: "model" | "tool";
  /**
   * Model calls: the prompt or agent that made the call; tool calls: the tool. A step id when the
   * plan is not available to name it.
   */
  caller: string;
  callerKind: "prompt" | "agent" | "tool" | "compensation";
  /** The model declaration (model calls). */
  model?: string;
  /** Answered by a test mock, not by a model or tool. */
  mocked?: boolean;
  status: CallStatus;
  error?: FailureInfo;
  /** Intent time (ms since the epoch) and outcome time. */
  startedAt: number;
  endedAt?: number;
  tokens: { input: number; output: number };
  /** USD, as frozen in the outcome when the call was made (0 for tools and failed calls). */
  costUsd: number;
}

/** Statement id → the name of what it calls, over every graph of the plan. */
export function callNames(plan: Plan | undefined): Map<string, string> {
  const names = new Map<string, string>();
  if (!plan) return names;
  for (const g of Object.values(plan.graphs)) for (const n of g.nodes) for (const s of n.stmts) if (s.op === "run" || s.op === "map") names.set(s.id, s.call.name);
  return names;
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function num(v: Json | undefined): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** Tokens and cost of a model outcome's value (a ModelResponse: `{ output, usage, costUsd }`). */
export function usageOf(value: Json | undefined): { tokens: { input: number; output: number }; costUsd: number } {
  if (!isObject(value)) return { tokens: { input: 0, output: 0 }, costUsd: 0 };
  const usage = isObject(value["usage"]) ? value["usage"] : {};
  return { tokens: { input: num(usage["input"]), output: num(usage["output"]) }, costUsd: num(value["costUsd"]) };
}

/** The calls of one run, in intent order. `plan` names the callers of model calls. */
export function callsOfRun(run: LoadedRun, plan?: Plan, names: Map<string, string> = callNames(plan)): CallRecord[] {
  const outcomes = new Map<string, JournalEntry>();
  for (const e of run.journal) if (e.phase === "outcome") outcomes.set(e.key, e);
  const calls: CallRecord[] = [];
  // Agents hand a call over to another agent (a `transfer_to_<agent>` tool call): the later turns
  // of that call are the new agent's. Call key → the agent answering now.
  const handedTo = new Map<string, string>();
  for (const intent of run.journal) {
    if (intent.phase !== "intent") continue;
    const kind = intent.kind;
    if (kind !== "prompt" && kind !== "agent" && kind !== "tool" && kind !== "compensation") continue;
    const request = isObject(intent.value) ? intent.value : {};
    const mocked = typeof request["mock"] === "string";
    // An agent's other journaled effects (session history, context assembly) are not model calls.
    if ((kind === "prompt" || kind === "agent") && !mocked && typeof request["model"] !== "string") continue;
    const out = outcomes.get(intent.key);
    const status: CallStatus = !out ? "unfinished" : out.error ? "failed" : "ok";
    const base = {
      runId: run.snapshot.runId,
      graph: run.snapshot.graph,
      key: intent.key,
      step: intent.step,
      status,
      startedAt: intent.at,
      ...(out ? { endedAt: out.at } : {}),
      ...(out?.error ? { error: out.error } : {}),
      ...(mocked ? { mocked: true } : {}),
    };
    if (kind === "prompt" || kind === "agent") {
      const model = typeof request["model"] === "string" ? request["model"] : "mock";
      // An agent turn's model attempt (`<call key>/turn<n>/<model>@<attempt>`): the agent call it belongs to.
      const agentCall = kind === "agent" ? agentCallOfTurn(intent.key) : undefined;
      const origin = mocked ? (request["mock"] as string) : (names.get(intent.step) ?? intent.step);
      const caller = (agentCall !== undefined ? handedTo.get(agentCall) : undefined) ?? origin;
      if (agentCall !== undefined && out && !out.error && plan) {
        const to = transferOf(out.value);
        if (to && plan.agents[caller]?.handoffs.includes(to)) handedTo.set(agentCall, to);
      }
      // A mocked answer is not a ModelResponse: no tokens, no cost.
      const used = out && !out.error && !mocked ? usageOf(out.value) : { tokens: { input: 0, output: 0 }, costUsd: 0 };
      calls.push({ ...base, kind: "model", caller, callerKind: kind, model, ...used });
    } else {
      const tool = typeof request["tool"] === "string" ? request["tool"] : mocked ? (request["mock"] as string) : (names.get(intent.step) ?? intent.step);
      calls.push({ ...base, kind: "tool", caller: tool, callerKind: kind === "compensation" ? "compensation" : "tool", tokens: { input: 0, output: 0 }, costUsd: 0 });
    }
  }
  return calls;
}

/** The agent a turn transferred to (its first `transfer_to_<agent>` tool call), if any. */
function transferOf(value: Json | undefined): string | undefined {
  if (!isObject(value) || !Array.isArray(value["toolCalls"])) return undefined;
  for (const c of value["toolCalls"]) {
    const name = isObject(c) ? c["name"] : undefined;
    if (typeof name === "string" && name.startsWith("transfer_to_")) return name.slice("transfer_to_".length);
  }
  return undefined;
}
