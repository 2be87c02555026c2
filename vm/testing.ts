// `test` blocks: run the graph with mocks on a memory store and virtual time, as the test's principal,
// then check every `expect` against status, output, state, error, calls(NAME) and audit(POLICY).
// Mocks answer at the provider boundary (vm/exec/mocks.ts), so policies, validation, repair, retries,
// fallbacks, the agent loop, audit and the journal run as in production.
import type { Plan } from "../compiler/plan/index.js";
import { evaluate, exprToText, type Scope } from "./expr.js";
import { Mocks, type MockAnswer } from "./exec/mocks.js";
import { createRuntime } from "./runtime.js";
import { MemoryStore } from "./store/memory.js";
import type { ContextProvider, Json, ModelProvider, RunStore, ToolProvider } from "./types.js";
import { VmFailure } from "./types.js";

export interface ExpectResult {
  id: string;
  text: string;
  ok: boolean;
  /** Why it failed (the values involved, or the evaluation error). */
  detail?: string;
  loc: { file: string; line: number; column: number };
}

export interface TestResult {
  name: string;
  ok: boolean;
  status: string;
  error?: string;
  expects: ExpectResult[];
  durationMs: number;
  loc: { file: string; line: number; column: number };
}

/** In tests a prompt or agent without a mock is a mistake worth naming, not a network call. */
const NO_MODEL: ModelProvider = {
  async call(req) {
    throw new VmFailure({ kind: "transport", retryable: false, message: `${req.caller} is not mocked in this test: add mock ${req.caller} => ...` });
  },
};

export async function runTests(
  plan: Plan,
  opts: {
    tools: ToolProvider;
    models?: ModelProvider;
    filter?: (name: string) => boolean;
    /** The context provider of a test's run, given the test's store (`awr test`: the plan's context assembler). */
    contexts?: (store: RunStore) => ContextProvider;
  },
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const [name, t] of Object.entries(plan.tests)) {
    if (opts.filter && !opts.filter(name)) continue;
    const t0 = Date.now();
    const empty: Scope = { get: () => undefined };
    const result: TestResult = { name, ok: false, status: "not run", expects: [], durationMs: 0, loc: t.loc };
    try {
      if (!t.run) throw new Error("the test runs nothing");
      const table = new Map(
        t.mocks.map(
          (m) =>
            [
              m.name,
              m.values.map((v): MockAnswer =>
                "fail" in v ? { fail: v.fail } : "tool_calls" in v ? { toolCalls: v.tool_calls.map((c) => ({ name: c.name, args: evaluate(c.args, empty) })) } : { value: evaluate(v.value, empty) },
              ),
            ] as const,
        ),
      );
      const store = new MemoryStore();
      const rt = createRuntime({ plan, store, models: opts.models ?? NO_MODEL, tools: opts.tools, instant: true, ...(opts.contexts ? { contexts: opts.contexts(store) } : {}) });
      const input = evaluate(t.run.args, empty);
      const r = await rt.start(t.run.graph, input, { mocks: new Mocks(table), principal: principalOf(t.principal ? evaluate(t.principal, empty) : null) });
      result.status = r.status;
      if (r.error) result.error = `${r.error.kind}: ${r.error.message}`;
      const values: Record<string, Json> = {
        status: r.status,
        output: r.output ?? null,
        state: r.state,
        error: r.error ? ({ kind: r.error.kind, message: r.error.message, step: r.error.step ?? null } as Json) : null,
      };
      const scope: Scope = {
        get: (n) => values[n],
        call: (fn, args) => {
          if (fn === "calls") return r.observed.calls.get(String(args[0])) ?? 0;
          if (fn === "audit") return r.observed.audit.filter((a) => a.policy === String(args[0])).map((a) => ({ rule: a.rule, outcome: a.outcome, step: a.step }));
          return undefined;
        },
      };
      for (const e of t.expects) {
        const text = exprToText(e.expr);
        try {
          const v = evaluate(e.expr, scope);
          result.expects.push(v === true ? { id: e.id, text, ok: true, loc: e.loc } : { id: e.id, text, ok: false, detail: explain(e.expr, scope), loc: e.loc });
        } catch (err) {
          result.expects.push({ id: e.id, text, ok: false, detail: err instanceof Error ? err.message : String(err), loc: e.loc });
        }
      }
      result.ok = result.expects.every((x) => x.ok);
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
    }
    result.durationMs = Date.now() - t0;
    results.push(result);
  }
  return results;
}

/** A test's `principal { id, roles?, attrs? }` with the defaults filled in (none: the `test` principal). */
function principalOf(p: Json): Json {
  const r = p !== null && typeof p === "object" && !Array.isArray(p) ? p : {};
  return { id: typeof r["id"] === "string" ? r["id"] : "test", roles: Array.isArray(r["roles"]) ? r["roles"] : [], attrs: r["attrs"] !== null && typeof r["attrs"] === "object" && !Array.isArray(r["attrs"]) ? r["attrs"] : {} };
}

/** For `a == b`: "a is X, b is Y" — what a failing expectation actually saw. */
function explain(e: Parameters<typeof evaluate>[0], scope: Scope): string {
  const show = (x: Parameters<typeof evaluate>[0]) => {
    try {
      return JSON.stringify(evaluate(x, scope));
    } catch (err) {
      return `<${err instanceof Error ? err.message : String(err)}>`;
    }
  };
  if (e.k === "binary" && ["==", "!=", "<", "<=", ">", ">="].includes(e.op)) return `${exprToText(e.left)} is ${show(e.left)}, ${exprToText(e.right)} is ${show(e.right)}`;
  return `${exprToText(e)} is ${show(e)}`;
}
