// A run with a bit of everything the reports show: parallel steps, a join, a retried model call
// (one failed attempt), an agent, a sub-graph, tool calls, a branch never taken, and optionally a
// failing tool or a wait for a person. A fake clock makes every time deterministic.
import type { Plan } from "../../../compiler/plan/index.js";
import { buildTrace, traceHtml } from "../../../ops/report/index.js";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import { VmFailure, type AuditRecord, type ModelProvider, type ToolProvider, type VmEvent } from "../../../vm/types.js";
import type { EmbeddedStore } from "../../../vm/store/index.js";
import { planOf } from "../../vm/helpers.js";

export const SOURCE = `
model cheap { provider: "openai" name: "c" timeout: 5s retry: 1 fallback: [big] price { input: 1, output: 2 } }
model big { provider: "openai" name: "b" timeout: 5s price { input: 10, output: 20 } }
prompt classify(text: string) -> string { model: cheap user #"{{ text }}"# }
agent advisor(text: string, kind: string) -> string {
  model: big
  role: "an advisor"
  instructions #"{{ text }} / {{ kind }}"#
}
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") timeout: 1s }
tool notify(msg: string) -> bool { impl: js("./t.mjs#notify") timeout: 1s }
graph inner(s: string) -> string {
  state { r: string? }
  node up { run classify(text: s) -> r }
  edge start -> up
  edge up -> end
  return r!
}
graph main(text: string) -> string {
  state { kind: string?, found: string?, advice: string?, extra: string?, sent: bool?, answer: string? }
  node classify_it { run classify(text) -> kind }
  node find { run lookup(q: text) -> found }
  node advise { run advisor(text, kind: kind!) -> advice }
  node sub { run inner(s: advice!) -> extra }
  node ask { await human("Is this <b>fine</b>?") -> answer }
  node send { run notify(msg: extra!) -> sent }
  node never { set extra = "x" }
  edge start -> [classify_it, find]
  edge [classify_it, find] -> advise
  edge advise -> sub
  edge sub -> ask when text == "wait"
  edge sub -> send when text != "wait" && kind! != "skip"
  edge sub -> never otherwise
  edge ask -> send
  edge send -> end
  edge never -> end
  return advice!
}
`;

/** The cost each model call freezes (deliberately not price × tokens: reports must not recompute it). */
export const FROZEN = { classify: 0.0001, advisor: 0.02 };
export const USAGE = { classify: { input: 100, output: 10 }, advisor: { input: 1000, output: 200 } };
export const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);
export const NASTY = `<img src=x onerror="document.title='pwned'">`;

export interface FixtureRun {
  plan: Plan;
  store: EmbeddedStore;
  runId: string;
  events: VmEvent[];
  status: string;
  /** Answers the pending wait (text "wait") and lets the run finish; events keep accumulating. */
  resume(value: string): Promise<string>;
}

let cached: Plan | undefined;
export function fixturePlan(): Plan {
  return (cached ??= planOf(SOURCE));
}

/** Runs `main`. `failNotify`: the last tool fails (the run fails); text "wait" suspends at `ask`. */
export async function runFixture(opts: { text?: string; failNotify?: boolean; store?: EmbeddedStore; start?: number } = {}): Promise<FixtureRun> {
  const plan = fixturePlan();
  const store = opts.store ?? new MemoryStore();
  let t = opts.start ?? T0;
  const now = () => (t += 7);
  let classifyCalls = 0;
  const models: ModelProvider = {
    async call(req) {
      if (req.caller === "classify" && classifyCalls++ === 0) throw new VmFailure({ kind: "rate_limit", message: "slow down", retryable: true });
      const k = req.caller === "advisor" ? "advisor" : "classify";
      return { output: k === "advisor" ? "refund" : "defect", usage: { ...USAGE[k] }, costUsd: FROZEN[k] };
    },
  };
  const tools: ToolProvider = {
    async call(req) {
      if (req.tool === "notify" && opts.failNotify) throw new VmFailure({ kind: "tool", message: `mail server said ${NASTY}`, retryable: false });
      return req.tool === "lookup" ? "order S-1" : true;
    },
  };
  const events: VmEvent[] = [];
  const rt = createRuntime({ plan, store, models, tools, instant: true, now, onEvent: (e) => events.push(e) });
  const r = await rt.start("main", { text: opts.text ?? "my blender broke" });
  return {
    plan,
    store,
    runId: r.runId,
    events,
    status: r.status,
    resume: async (value) => {
      t += 1000; // the person answers a second later
      return (await rt.resume(r.runId, value)).status;
    },
  };
}

/** Audit records with user text to escape: a policy decision and a tool call. */
export function nastyAudit(runId: string, at: number): AuditRecord[] {
  return [
    { runId, step: "graph:main/node:send/stmt:0#0", principal: { id: "ops" }, kind: "policy", hook: "before tool", target: "notify", policy: "mail", rule: "graph:main/rule:0", outcome: "redact", reason: `because ${NASTY}`, redacted: [{ path: "$.msg", kind: "email" }], at },
    { runId, step: "graph:main/node:send/stmt:0#0", principal: { id: "ops" }, kind: "tool", hook: "call", target: "notify", policy: null, rule: null, outcome: "failed", at: at + 1 },
  ];
}

/** The HTML report of a run whose last tool fails with a message full of markup. */
export async function failedRunPage(): Promise<{ html: string; runId: string }> {
  const f = await runFixture({ failNotify: true });
  const run = f.store.load(f.runId)!;
  const trace = buildTrace({ run, events: f.events, plan: f.plan });
  return { html: await traceHtml({ trace, plan: f.plan, audit: nastyAudit(f.runId, run.snapshot.createdAt + 300), generator: "awr test" }), runId: f.runId };
}
