// The interpreter as users see it: graphs with test blocks (run by the same code as `awr test`),
// and the embedding API for what test blocks cannot show (resume, fallbacks, journals, crashes).
import { describe, expect, it } from "vitest";
import { runTests } from "../../vm/testing.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { requestHash } from "../../vm/journal.js";
import { VmFailure, type ContextProvider, type Json, type ModelProvider, type ModelRequest, type ToolProvider, type VmEvent } from "../../vm/types.js";
import { planOf, noModels } from "./helpers.js";

const MODEL = `model m { provider: "openai" name: "x" timeout: 5s max_tokens: 100 }`;

/** A tool provider that answers from a function and records every call. */
function tools(answer: (tool: string, args: Record<string, Json>) => Json = () => true) {
  const calls: { tool: string; args: Record<string, Json>; key: string }[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push({ tool: req.tool, args: req.args, key: req.idempotencyKey });
      return answer(req.tool, req.args);
    },
  };
  return { provider, calls };
}

async function expectTestsPass(source: string) {
  const results = await runTests(planOf(source), { tools: tools().provider });
  const failures = results.filter((r) => !r.ok).map((r) => `${r.name}: run ${r.status}${r.error ? ` (${r.error})` : ""}; ${r.expects.filter((e) => !e.ok).map((e) => `${e.text} — ${e.detail}`).join("; ")}`);
  expect(failures).toEqual([]);
  expect(results.length).toBeGreaterThan(0);
}

describe("graphs run by their test blocks", () => {
  it("route on conditions, with otherwise as the fallback edge", () =>
    expectTestsPass(`
${MODEL}
enum Level { low, high }
prompt rate(text: string) -> Level { model: m user #"{{ text }}"# }
graph g(text: string) -> string {
  state { level: Level?, path: string? }
  node judge { run rate(text) -> level }
  node calm { set path = "calm" }
  node alarm { set path = "alarm" }
  edge start -> judge
  edge judge -> alarm when level! == high
  edge judge -> calm otherwise
  edge calm -> end
  edge alarm -> end
  return path!
}
test high_goes_to_alarm { run g(text: "x") mock rate => "high" expect output == "alarm" }
test low_goes_to_calm { run g(text: "x") mock rate => "low" expect output == "calm" expect calls(rate) == 1 }
`));

  it("bound loops with max: the loop edge is taken at most N times, then otherwise decides", () =>
    expectTestsPass(`
${MODEL}
prompt draft(n: int) -> string { model: m user #"draft {{ n }}"# }
graph g() -> int {
  state { rounds: int @reduce(sum) = 0, text: string? }
  node write { run draft(rounds) -> text  set rounds = 1 }
  node review { set text = text! }
  edge start -> write
  edge write -> review
  edge review -> write when text! != "good" max 3
  edge review -> end otherwise
  return rounds
}
test stops_after_the_bound { run g() mock draft => "bad" expect output == 4 expect calls(draft) == 4 }
test stops_when_good { run g() mock draft => "bad" then "good" expect output == 2 }
`));

  it("fan out with map through every reducer, results in input order", () =>
    expectTestsPass(`
${MODEL}
type Stat { name: string, score: int }
prompt score(word: string) -> Stat { model: m user #"{{ word }}"# }
graph g(words: list<string>) -> bool {
  state {
    all: list<Stat> = []
    appended: list<Stat> @reduce(append) = []
    total: int @reduce(sum) = 0
    best: int @reduce(max) = 0
    worst: int @reduce(min) = 1000
    merged: map<int> @reduce(merge) = {}
  }
  node fan { map w in words concurrency 2 run score(w) -> all }
  node fan2 { map w in words run score(w) -> appended }
  node sum { set total = all[0].score  set total = all[1].score  set total = all[2].score }
  node extremes { set best = all[0].score  set best = all[2].score  set worst = all[1].score  set worst = all[2].score }
  node merge { set merged = { a: 1 }  set merged = { b: 2 } }
  edge start -> fan
  edge fan -> fan2
  edge fan2 -> [sum, extremes, merge]
  edge [sum, extremes, merge] -> end
  return true
}
test reducers {
  run g(words: ["a", "b", "c"])
  mock score => { name: "a", score: 3 } then { name: "b", score: 1 } then { name: "c", score: 7 } then { name: "a", score: 3 } then { name: "b", score: 1 } then { name: "c", score: 7 }
  expect state.all[0].name == "a"
  expect len(state.all) == 3
  expect len(state.appended) == 3
  expect state.total == 11
  expect state.best == 7
  expect state.worst == 1
  expect state.merged == { a: 1, b: 2 }
}
`));

  it("retry a node, then succeed; exhaust retries and route to on error", () =>
    expectTestsPass(`
${MODEL}
tool fetch(id: string) -> string { impl: js("./t.mjs#fetch") timeout: 1s }
graph g(id: string) -> string {
  state { got: string?, path: string = "direct" }
  node load { run fetch(id) -> got  retry 2  on error -> rescue }
  node rescue { set path = "rescued" }
  edge start -> load
  edge load -> end
  edge rescue -> end
  return path
}
test retried_then_ok { run g(id: "1") mock fetch => fail("transport") then fail("timeout") then "ok" expect output == "direct" expect calls(fetch) == 3 expect state.got == "ok" }
test exhausted_then_routed { run g(id: "1") mock fetch => fail("transport") expect output == "rescued" expect calls(fetch) == 3 expect status == "completed" }
test policy_failures_are_not_retried { run g(id: "1") mock fetch => fail("policy") expect calls(fetch) == 1 expect output == "rescued" }
`));

  it("run sub-graphs and join parallel branches", () =>
    expectTestsPass(`
${MODEL}
prompt up(s: string) -> string { model: m user #"{{ s }}"# }
graph inner(s: string) -> string {
  state { r: string? }
  node a { run up(s) -> r }
  edge start -> a
  edge a -> end
  return r! + "!"
}
graph outer(s: string) -> string {
  state { x: string?, y: string?, both: string? }
  node left { run inner(s) -> x }
  node right { run inner(s: s + "2") -> y }
  node join { set both = x! + y! }
  edge start -> [left, right]
  edge [left, right] -> join
  edge join -> end
  return both!
}
test nested { run outer(s: "a") mock up => "A" then "B" expect output == "A!B!" expect calls(inner) == 2 expect calls(up) == 2 }
`));

  it("suspend at await human and report it", () =>
    expectTestsPass(`
${MODEL}
graph g() -> string {
  state { answer: string? }
  node ask { await human("what now?") -> answer }
  edge start -> ask
  edge ask -> end
  return answer!
}
test waits { run g() expect status == "suspended" }
test answered_by_a_mock { run g() mock human => "go" expect output == "go" }
`));
});

describe("nodes of set statements only", () => {
  it("fail like any node: the expression's message and the step that failed", async () => {
    const plan = planOf(`
graph g(x: int?) -> int {
  state { y: int? }
  node compute { set y = x! + 1 }
  edge start -> compute
  edge compute -> end
  return y!
}`);
    const rt = createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: tools().provider, instant: true });
    const ok = await rt.start("g", { x: 1 });
    expect(ok).toMatchObject({ status: "completed", output: 2 });
    const bad = await rt.start("g", { x: null });
    expect(bad.status).toBe("failed");
    expect(bad.error).toMatchObject({ kind: "expression", step: "graph:g/node:compute#0", message: expect.stringContaining("x! is null") });
  });
});

describe("the runtime API", () => {
  it("a node with retries that waits for an approval suspends (real retry schedule, not instant)", async () => {
    const plan = planOf(`
tool grant(amount: int) -> bool { impl: js("./t.mjs#grant") timeout: 1s }
policy credits { before tool grant { approve because "a lead approves credits" } }
graph g() -> bool {
  state { ok: bool? }
  node pay { run grant(amount: 5) -> ok  retry 2 }
  edge start -> pay
  edge pay -> end
  return ok!
}`);
    const t = tools();
    const rt = createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: t.provider });
    const first = await rt.start("g", {});
    expect(first).toMatchObject({ status: "suspended", pending: [{ kind: "approval" }] });
    expect(t.calls).toEqual([]);
    const done = await rt.resume(first.runId, true);
    expect(done).toMatchObject({ status: "completed", output: true });
    expect(t.calls.map((c) => c.tool)).toEqual(["grant"]);
  });

  it("resumes at the await without re-running the node's finished calls", async () => {
    const plan = planOf(`
tool log(msg: string) -> bool { impl: js("./t.mjs#log") timeout: 1s }
graph g() -> string {
  state { said: bool?, answer: string? }
  node ask { run log(msg: "before") -> said  await human("approve?") -> answer }
  edge start -> ask
  edge ask -> end
  return answer!
}`);
    const t = tools();
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const first = await rt.start("g", {});
    expect(first.status).toBe("suspended");
    expect(first.pending).toEqual([{ id: expect.stringContaining("node:ask/stmt:1"), kind: "human", reason: "approve?" }]);
    expect(t.calls).toHaveLength(1);
    const done = await rt.resume(first.runId, "yes");
    expect(done).toMatchObject({ status: "completed", output: "yes" });
    expect(t.calls).toHaveLength(1); // the log call before the await was served from the journal
    expect(store.load(first.runId)!.snapshot.status).toBe("completed");
  });

  it("resumes several pending interrupts one at a time", async () => {
    const plan = planOf(`
graph g() -> string {
  state { a: string?, b: string? }
  node x { await human("first") -> a }
  node y { await event("second") -> b }
  node both { set a = a! + b! }
  edge start -> [x, y]
  edge [x, y] -> both
  edge both -> end
  return a!
}`);
    const rt = createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: tools().provider, instant: true });
    const s = await rt.start("g", {});
    expect(s.pending!.map((p) => p.kind)).toEqual(["human", "event"]);
    const second = s.pending![1]!.id;
    const r1 = await rt.resume(s.runId, "B", { interruptId: second });
    expect(r1.status).toBe("suspended");
    expect(r1.pending!.map((p) => p.reason)).toEqual(["first"]);
    const r2 = await rt.resume(s.runId, "A");
    expect(r2).toMatchObject({ status: "completed", output: "AB" });
  });

  it("await event with key: the correlation value is evaluated, journaled with the request and listed with the pending interrupt", async () => {
    const plan = planOf(`
type Order { id: string }
graph g(order: Order, n: int) -> string {
  state { paid: string? , shipped: string? }
  node pay { await event("payment.settled", key: order.id) -> paid }
  node ship { await event("shipped", key: n * 10) -> shipped }
  node plain { await event("any") }
  edge start -> [pay, ship, plain]
  edge [pay, ship, plain] -> end
  return paid! + shipped!
}`);
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models: noModels, tools: tools().provider, instant: true });
    const s = await rt.start("g", { order: { id: "O-7" }, n: 4 });
    expect(s.pending).toEqual([
      { id: expect.stringContaining("node:pay/"), kind: "event", reason: "payment.settled", key: "O-7" },
      { id: expect.stringContaining("node:ship/"), kind: "event", reason: "shipped", key: 40 },
      { id: expect.stringContaining("node:plain/"), kind: "event", reason: "any" },
    ]);
    const stored = store.load(s.runId)!;
    expect(stored.snapshot.pending!.map((p) => p.key)).toEqual(["O-7", 40, undefined]);
    const intents = stored.journal.filter((e) => e.phase === "intent").map((e) => e.value);
    expect(intents).toContainEqual({ await: "event", reason: "payment.settled", key: "O-7" });
    expect(intents).toContainEqual({ await: "event", reason: "any" });
  });

  it("falls back to the next model when the first fails for good", async () => {
    const plan = planOf(`
model a { provider: "openai" name: "a" timeout: 5s retry: 1 fallback: [b] }
model b { provider: "openai" name: "b" timeout: 5s }
prompt p(x: string) -> string { model: a user #"{{ x }}"# }
graph g() -> string { state { r: string? } node n { run p(x: "hi") -> r } edge start -> n edge n -> end return r! }`);
    const asked: string[] = [];
    const models: ModelProvider = {
      async call(req) {
        asked.push(req.model);
        if (req.model === "a") throw new VmFailure({ kind: "rate_limit", message: "slow down", retryable: true });
        return { output: `from ${req.model}`, usage: { input: 1, output: 1 }, costUsd: 0 };
      },
    };
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan, store: new MemoryStore(), models, tools: tools().provider, instant: true, onEvent: (e) => events.push(e) });
    const r = await rt.start("g", {});
    expect(r).toMatchObject({ status: "completed", output: "from b" });
    expect(asked).toEqual(["a", "a", "b"]); // the first attempt, one retry, then the fallback
    expect(events.filter((e) => e.type === "fallback")).toMatchObject([{ from: "a", to: "b" }]);
  });

  it("compensates finished steps in reverse order, once, when the run fails", async () => {
    const plan = planOf(`
tool book(item: string) -> string { impl: js("./t.mjs#book") timeout: 1s compensate: cancel(id: result) }
tool cancel(id: string) -> bool { impl: js("./t.mjs#cancel") timeout: 1s }
tool charge(amount: int) -> bool { impl: js("./t.mjs#charge") timeout: 1s }
graph g() -> bool {
  state { a: string?, b: string?, paid: bool? }
  node first { run book(item: "hotel") -> a }
  node second { run book(item: "flight") -> b }
  node pay { run charge(amount: 10) -> paid }
  edge start -> first
  edge first -> second
  edge second -> pay
  edge pay -> end
  return paid!
}`);
    const t = tools((tool, args) => {
      if (tool === "book") return `booking-${args["item"]}`;
      if (tool === "charge") throw new VmFailure({ kind: "tool", message: "card declined", retryable: false });
      return true;
    });
    const rt = createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: t.provider, instant: true });
    const r = await rt.start("g", {});
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ kind: "tool", message: expect.stringContaining("card declined") });
    expect(t.calls.map((c) => `${c.tool}(${JSON.stringify(c.args)})`)).toEqual([
      'book({"item":"hotel"})',
      'book({"item":"flight"})',
      'charge({"amount":10})',
      'cancel({"id":"booking-flight"})',
      'cancel({"id":"booking-hotel"})',
    ]);
  });

  it("re-issues an unfinished idempotent tool call with the same key; stops a non-idempotent one for attention", async () => {
    const source = (idem: boolean) =>
      planOf(`
tool pay(n: int) -> bool { impl: js("./t.mjs#pay") timeout: 1s idempotent: ${idem} }
graph g() -> bool { state { ok: bool? } node n { run pay(n: 1) -> ok } edge start -> n edge n -> end return ok! }`);
    for (const idem of [true, false]) {
      const plan = source(idem);
      const store = new MemoryStore();
      const t = tools();
      const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
      // A crash between the intent and the outcome: the journal holds the intent only.
      const runId = `crash-${idem}`;
      store.create({ runId, graph: "g", planHash: "x", input: {}, principal: {}, status: "running", createdAt: 0, updatedAt: 0 });
      const key = "graph:g/node:n/stmt:0#0";
      store.commit({ runId, expectVersion: 0, append: [{ key, step: "graph:g/node:n/stmt:0", kind: "tool", phase: "intent", hash: requestHash({ tool: "pay", args: { n: 1 } }), at: 0, value: null }] });
      const r = await rt.recover(runId);
      if (idem) {
        expect(r.status).toBe("completed");
        expect(t.calls).toEqual([{ tool: "pay", args: { n: 1 }, key: `${runId}/${key}` }]);
      } else {
        expect(r.status).toBe("needs_attention");
        expect(r.error?.step).toBe(key);
        expect(t.calls).toEqual([]);
      }
    }
  });

  it("streams a run's events and never repeats a finished effect on recovery", async () => {
    const plan = planOf(`
tool one() -> int { impl: js("./t.mjs#one") timeout: 1s }
graph g() -> int { state { x: int? } node n { run one() -> x } edge start -> n edge n -> end return x! }`);
    const t = tools(() => 1);
    const store = new MemoryStore();
    const rt = createRuntime({ plan, store, models: noModels, tools: t.provider, instant: true });
    const seen: string[] = [];
    const runId = "ev";
    const collecting = (async () => {
      for await (const e of rt.events(runId)) seen.push(e.type);
    })();
    const r = await rt.start("g", {}, { runId });
    await collecting;
    expect(r.output).toBe(1);
    expect(seen).toEqual(["run.started", "superstep.started", "step.started", "effect.requested", "effect.completed", "step.finished", "superstep.finished", "run.completed"]);
    const again = await rt.recover(runId);
    expect(again).toMatchObject({ status: "completed", output: 1 });
    expect(t.calls).toHaveLength(1);
  });
});

describe("prompt settings and tool retries", () => {
  const SRC = `
model m { provider: "openai" name: "x" timeout: 5s temperature: 0.7 max_tokens: 100 }
context kb { source faq = keyword("./faq.jsonl") budget: 100 }
prompt answer(question: string) -> string {
  model: m
  context: kb
  temperature: 0
  max_tokens: 20
  system #"Use only this: {{ context }}"#
  user #"Question: {{ question }}"#
}
prompt plain(question: string) -> string { model: m user #"{{ question }}"# }
graph g(question: string) -> string {
  state { a: string?, b: string? }
  node ask { run answer(question: question) -> a  run plain(question: question) -> b }
  edge start -> ask
  edge ask -> end
  return a! + b!
}`;
  function capture() {
    const asked: ModelRequest[] = [];
    const models: ModelProvider = {
      async call(req) {
        asked.push(req);
        return { output: req.caller === "answer" ? "5 days. " : "ok", usage: { input: 3, output: 2 }, costUsd: 0 };
      },
    };
    return { models, asked };
  }

  it("a prompt's context: is assembled for its user message, journaled, and fills {{ context }}", async () => {
    const { models, asked } = capture();
    const queries: string[] = [];
    const contexts: ContextProvider = {
      async assemble(name, query) {
        queries.push(`${name}: ${query}`);
        return { text: "Refunds take 5 days.", tokens: 5 };
      },
    };
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan: planOf(SRC), store: new MemoryStore(), models, tools: tools().provider, contexts, instant: true, onEvent: (e) => events.push(e) });
    const r = await rt.start("g", { question: "How long do refunds take?" });
    expect(r).toMatchObject({ status: "completed", output: "5 days. ok" });
    expect(queries).toEqual(["kb: Question: How long do refunds take?"]);
    expect(asked[0]!.messages[0]).toEqual({ role: "system", content: "Use only this: Refunds take 5 days." });
    expect(events.some((e) => e.type === "effect.completed" && e.kind === "prompt" && e.key.endsWith("/context"))).toBe(true);
    // Journaled: re-executing the run serves the assembly from the journal.
    await rt.recover(r.runId);
    expect(queries).toHaveLength(1);
  });

  it("without a context provider the prompt runs with an empty {{ context }} and a warning", async () => {
    const { models, asked } = capture();
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan: planOf(SRC), store: new MemoryStore(), models, tools: tools().provider, instant: true, onEvent: (e) => events.push(e) });
    expect((await rt.start("g", { question: "q" })).status).toBe("completed");
    expect(asked[0]!.messages[0]!.content).toBe("Use only this: ");
    expect(events.find((e) => e.type === "warning")).toMatchObject({ message: expect.stringContaining("prompt answer declares context kb, but the runtime has no context provider") });
  });

  it("a prompt's temperature and max_tokens override its model's; other prompts keep the model's", async () => {
    const { models, asked } = capture();
    const rt = createRuntime({ plan: planOf(SRC), store: new MemoryStore(), models, tools: tools().provider, instant: true });
    expect((await rt.start("g", { question: "q" })).status).toBe("completed");
    expect(asked.map((a) => [a.caller, a.plan.temperature, a.plan.max_tokens])).toEqual([
      ["answer", 0, 20],
      ["plain", 0.7, 100],
    ]);
  });

  it("a tool's retry: retryable failures are retried with the same idempotency key, each attempt journaled", async () => {
    const plan = planOf(`
tool flaky(id: string) -> string { impl: js("./t.mjs#flaky") timeout: 1s retry: 2 idempotent: true }
tool strict(id: string) -> string { impl: js("./t.mjs#strict") timeout: 1s retry: 2 }
graph g(id: string) -> string {
  state { got: string? }
  node fetch { run flaky(id: id) -> got }
  edge start -> fetch
  edge fetch -> end
  return got!
}
graph h(id: string) -> string {
  state { got: string? }
  node fetch { run strict(id: id) -> got }
  edge start -> fetch
  edge fetch -> end
  return got!
}`);
    let failures = 2;
    const keys: string[] = [];
    const provider: ToolProvider = {
      async call(req) {
        keys.push(`${req.tool} ${req.idempotencyKey}`);
        if (req.tool === "strict") throw new VmFailure({ kind: "schema", message: "bad id", retryable: false });
        if (failures-- > 0) throw new VmFailure({ kind: "transport", message: "connection reset", retryable: true });
        return "found";
      },
    };
    const store = new MemoryStore();
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan, store, models: noModels, tools: provider, instant: true, onEvent: (e) => events.push(e) });
    const r = await rt.start("g", { id: "7" });
    expect(r).toMatchObject({ status: "completed", output: "found" });
    expect(new Set(keys).size).toBe(1);
    expect(keys).toHaveLength(3);
    const outcomes = store.load(r.runId)!.journal.filter((e) => e.phase === "outcome").map((e) => `${e.key.split("/").at(-1)} ${e.error ? "failed" : "ok"}`);
    expect(outcomes).toEqual(["stmt:0#0 failed", "stmt:0#0~1 failed", "stmt:0#0~2 ok"]);
    expect(events.filter((e) => e.type === "retry")).toHaveLength(2);
    // A failure that is not retryable is not retried.
    keys.length = 0;
    expect((await rt.start("h", { id: "7" })).status).toBe("failed");
    expect(keys).toHaveLength(1);
  });
});
