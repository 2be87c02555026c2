// The embedding API's refusals (vm/operator.ts): what a future HTTP server answers with a status
// code. resume and resolve check the request before anything is stored; resolve finishes a
// needs_attention run each of three ways.
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { InvalidResumeValue, NotNeedingAttention, NotWaiting, RunNotFound } from "../../vm/operator.js";
import type { Json, ToolProvider } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { noModels, noTools, planOf } from "./helpers.js";

const WAIT = `
type Person {
  name: string
  age: int
}
graph meet(x: int) -> string {
  state { who: Person? = null }
  node ask { await human("who is it?") -> who }
  edge start -> ask
  edge ask -> end
  return who!.name
}
`;

const PAY = `
type Receipt {
  id: string
  amount: int
}
tool charge(amount: int) -> Receipt {
  impl: js("./charge.mjs#charge")
}
graph pay(amount: int) -> string {
  state { receipt: Receipt? = null }
  node charge_it {
    run charge(amount: amount) -> receipt
  }
  edge start -> charge_it
  edge charge_it -> end
  return "paid " + receipt!.id
}
`;

describe("runtime.resume checks the answer first", () => {
  it("refuses a misfit with InvalidResumeValue (422: the type and the JSON paths), storing nothing", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools });
    const s = await rt.start("meet", { x: 1 });
    expect(s.status).toBe("suspended");
    const before = store.load(s.runId)!;
    const e = await rt.resume(s.runId, { name: "Ada" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidResumeValue);
    expect(e).toMatchObject({ status: 422, expected: "{ name: string, age: integer }", errors: ["$.age: missing required property"] });
    expect(store.load(s.runId)).toEqual(before);
    expect(store.audit()).toEqual([]);
    await expect(rt.resume("nope", 1)).rejects.toBeInstanceOf(RunNotFound);
    const done = await rt.resume(s.runId, { name: "Ada", age: 36 }, { by: "bob", comment: "at the door" });
    expect(done).toMatchObject({ status: "completed", output: "Ada" });
    expect(store.audit({ kind: "operator" })).toEqual([expect.objectContaining({ outcome: "answered", by: "bob", comment: "at the door", target: "human" })]);
    await expect(rt.resume(s.runId, 1)).rejects.toBeInstanceOf(NotWaiting);
  });
});

describe("runtime.resolve", () => {
  /** A run whose charge started (intent journaled) and never reported back, as a crash leaves it. */
  async function inDoubt(store: EmbeddedStore) {
    let calls = 0;
    const hang: ToolProvider = {
      call: (_req, signal) =>
        new Promise((_res, rej) => {
          calls++;
          signal.addEventListener("abort", () => rej(new Error("aborted")));
        }),
    };
    const plan = planOf(PAY);
    const first = createRuntime({ plan, store, models: noModels, tools: hang });
    const started = first.start("pay", { amount: 42 }, { runId: "r1" });
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    await first.cancel("r1"); // the intent stays without an outcome, as after a crash
    await started;
    let later = 0;
    const tools: ToolProvider = {
      async call(req) {
        later++;
        return { id: `CH-${String(req.args["amount"])}`, amount: req.args["amount"] as Json };
      },
    };
    const rt = createRuntime({ plan, store, models: noModels, tools });
    expect(await rt.recover("r1")).toMatchObject({ status: "needs_attention", error: { step: "graph:pay/node:charge_it/stmt:0#0" } });
    return { rt, calls: () => later };
  }

  it("succeeded: checks the result against the tool's return type, journals it, continues without calling again", async () => {
    const store = new MemoryStore();
    const { rt, calls } = await inDoubt(store);
    await expect(rt.resolve("r1", { succeeded: { id: "CH-42" } })).rejects.toMatchObject({ status: 422, expected: "{ id: string, amount: integer }" });
    expect(store.load("r1")!.snapshot.status).toBe("needs_attention");
    expect(await rt.resolve("r1", { succeeded: { id: "CH-42", amount: 42 } }, { by: "carol" })).toMatchObject({ status: "completed", output: "paid CH-42" });
    expect(calls()).toBe(0);
    await expect(rt.resolve("r1", { retry: true })).rejects.toBeInstanceOf(NotNeedingAttention);
  });

  it("retry: calls once more with the same key; fail: journals a tool failure with the reason", async () => {
    const a = new MemoryStore();
    const ra = await inDoubt(a);
    expect(await ra.rt.resolve("r1", { retry: true })).toMatchObject({ status: "completed", output: "paid CH-42" });
    expect(ra.calls()).toBe(1);
    expect(a.audit({ kind: "operator" })).toEqual([expect.objectContaining({ hook: "resolve", target: "charge", outcome: "retried", by: "anonymous" })]);

    const b = new MemoryStore();
    const rb = await inDoubt(b);
    expect(await rb.rt.resolve("r1", { fail: "declined" })).toMatchObject({ status: "failed", error: { kind: "tool", message: "charge failed (resolved by an operator): declined" } });
    expect(rb.calls()).toBe(0);
  });
});
