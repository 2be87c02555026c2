// Reliability: runs against a fault-injecting OpenAI-compatible server (30% of calls answer 429,
// 500, hang, malformed JSON or a truncated body/stream). Every run must end — completed, or failed
// with a typed failure — within a deadline; none may hang, none may end with an untyped error.
// `npm test` runs a short version; `npm run test:reliability` scales it up (AWR_RELIABILITY_SCALE).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../compiler/plan/index.js";
import { OpenAIGateway } from "../../vm/gateway/index.js";
import { createRuntime, type RunOutcome } from "../../vm/runtime.js";
import { validate } from "../../vm/schema.js";
import { MemoryStore } from "../../vm/store/index.js";
import type { FailureKind } from "../../vm/types.js";
import { planOf, noTools } from "../vm/helpers.js";
import { FAULTS, startFaultServer, type FaultServer } from "./fault-server.js";

const SCALE = Number(process.env["AWR_RELIABILITY_SCALE"] ?? 1);
const RUNS = Math.max(20, Math.round(60 * SCALE));
const BATCH = 20;
/** Worst case of one run: 2 models × 4 attempts × (300 ms timeout + ≤ 40 ms backoff). A run over this is hung. */
const DEADLINE_MS = 10_000;
const TYPED: readonly FailureKind[] = ["timeout", "rate_limit", "transport", "schema", "refusal", "budget"];

const source = (url: string) => `
type Answer { label: string, n: int }
model primary {
  provider: "openai" name: "fault-a" base_url: "${url}" api_key: env("AWR_FAULT_KEY")
  timeout: 300ms retry { max: 3, backoff: exponential(10ms, 40ms) } fallback: [backup]
}
model backup {
  provider: "openai" name: "fault-b" base_url: "${url}" api_key: env("AWR_FAULT_KEY")
  timeout: 300ms retry { max: 3, backoff: exponential(10ms, 40ms) }
}
prompt ask(q: string) -> Answer { model: primary user #"Answer {{ q }}"# }
graph main(q: string) -> Answer {
  state { a: Answer? }
  node first { run ask(q: q) -> a }
  edge start -> first
  edge first -> end
  return a!
}
`;

let server: FaultServer;
let plan: Plan;

beforeAll(async () => {
  server = await startFaultServer({ seed: 0xfa17 });
  plan = planOf(source(server.url));
});
afterAll(() => server.close());

async function runAll(stream: boolean, n: number, p: Plan = plan, breakers = true): Promise<{ outcomes: RunOutcome[]; hung: number; slowestMs: number }> {
  const gateway = new OpenAIGateway({ validate, env: { AWR_FAULT_KEY: "sk-test" }, stream });
  const rt = createRuntime({ plan: p, store: new MemoryStore(), models: gateway, tools: noTools, ...(breakers ? {} : { breakers: false as const }) });
  const outcomes: RunOutcome[] = [];
  let hung = 0;
  let slowestMs = 0;
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - i) }, async (_, j) => {
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"hung">((r) => (timer = setTimeout(() => r("hung"), DEADLINE_MS)));
      const r = await Promise.race([rt.start("main", { q: `question ${i + j}` }), deadline]);
      clearTimeout(timer);
      slowestMs = Math.max(slowestMs, Date.now() - t0);
      if (r === "hung") hung++;
      else outcomes.push(r);
    });
    await Promise.all(batch);
  }
  return { outcomes, hung, slowestMs };
}

function expectAllEndedTyped(r: { outcomes: RunOutcome[]; hung: number }, n: number, minCompleted = 0.95) {
  expect(r.hung, "runs still going after the deadline").toBe(0);
  expect(r.outcomes).toHaveLength(n);
  for (const o of r.outcomes) {
    if (o.status === "completed") {
      expect(o.output).toMatchObject({ label: "ok" });
    } else {
      expect(o.status).toBe("failed");
      expect(TYPED, `untyped failure: ${JSON.stringify(o.error)}`).toContain(o.error?.kind);
      expect(o.error?.message.length).toBeGreaterThan(0);
    }
  }
  // With 30% faults, 4 attempts per model and a fallback, nearly every run completes: a lower
  // share means retries or the fallback stopped working, not bad luck.
  const completed = r.outcomes.filter((o) => o.status === "completed").length;
  expect(completed / n).toBeGreaterThanOrEqual(minCompleted);
  return completed;
}

describe(`fault-injecting model server (30% faults), ${RUNS} runs each`, () => {
  // Circuit breakers off: what retries and the fallback achieve on their own (≥ 95% complete).
  it("non-streaming, breakers off: every run completes or fails typed; none hangs", async () => {
    const r = await runAll(false, RUNS, plan, false);
    const completed = expectAllEndedTyped(r, RUNS);
    console.log(`reliability/faults non-streaming: ${RUNS} runs, ${completed} completed, ${RUNS - completed} failed typed, 0 hung; slowest ${r.slowestMs} ms`);
  });

  // Breakers on (the default): five consecutive faults open a model's breaker, and calls fail fast
  // (typed `transport`) for its cool-down — so fewer runs may complete, but none may hang.
  it("streaming, breakers on: every run completes or fails typed; none hangs", async () => {
    const r = await runAll(true, RUNS);
    const completed = expectAllEndedTyped(r, RUNS, 0);
    console.log(`reliability/faults streaming: ${RUNS} runs, ${completed} completed, ${RUNS - completed} failed typed, 0 hung; slowest ${r.slowestMs} ms`);
    console.log(`reliability/faults served: ${JSON.stringify(server.counts)}`);
    // Every kind of fault was actually served across the two rounds.
    for (const f of FAULTS) expect(server.counts[f], `fault ${f} never injected`).toBeGreaterThan(0);
  });

  it("an endpoint that always fails: every run fails typed after its retries and fallback; none hangs", async () => {
    const broken = await startFaultServer({ seed: 7, faultRate: 1 });
    try {
      const broke = planOf(source(broken.url));
      // Breakers off: 2 models × 4 attempts per run, every one answered with a fault.
      const off = await runAll(false, BATCH, broke, false);
      expectAllEndedTyped(off, BATCH, 0);
      expect(off.outcomes.every((o) => o.status === "failed")).toBe(true);
      const served = () => Object.values(broken.counts).reduce((a, b) => a + b, 0);
      expect(served()).toBe(BATCH * 8);
      // Breakers on: they open after 5 consecutive faults per model and the rest fail fast,
      // so the endpoint sees far fewer calls, and the failures say why.
      const on = await runAll(false, BATCH, broke);
      expectAllEndedTyped(on, BATCH, 0);
      expect(on.outcomes.every((o) => o.status === "failed")).toBe(true);
      expect(served() - BATCH * 8).toBeLessThan(BATCH * 8);
      expect(on.outcomes.some((o) => /circuit breaker/i.test(o.error?.message ?? ""))).toBe(true);
    } finally {
      await broken.close();
    }
  });
});
