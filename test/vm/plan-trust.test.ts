// createRuntime({ trust }): the plan and the stored plan of every continued run must be signed by a
// trusted key (docs/plan.md § Signatures); refusals happen before anything is stored.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodePlan, PlanTrustError, signPlan } from "../../compiler/plan/index.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/index.js";
import { noModels, noTools, planOf } from "./helpers.js";

const plan = planOf(`
graph ask() -> string {
  state { answer: string? }
  node q { await human("what?") -> answer }
  edge start -> q
  edge q -> end
  return answer ?? ""
}
`);
const alice = generateKeyPairSync("ed25519");
const mallory = generateKeyPairSync("ed25519");
const signed = signPlan(encodePlan(plan), alice.privateKey);
const trust = [alice.publicKey.export({ type: "spki", format: "pem" }) as string];

function trustCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanTrustError) return e.code;
    throw e;
  }
  return "accepted";
}

describe("createRuntime with trust", () => {
  it("runs a plan signed by a trusted key, and stores its signed bytes as the run's plan", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: signed, trust, store, models: noModels, tools: noTools });
    const o = await rt.start("ask", {});
    expect(o.status).toBe("suspended");
    const hash = store.load(o.runId)!.snapshot.planHash;
    expect(Buffer.from(store.getBlob(hash)!).equals(Buffer.from(signed))).toBe(true);
    expect((await rt.resume(o.runId, "yes")).output).toBe("yes");
  });

  it("refuses a decoded plan (it carries no signature), an unsigned file and a stranger's signature, storing nothing", () => {
    const store = new MemoryStore();
    const opts = { store, models: noModels, tools: noTools, trust };
    expect(trustCode(() => createRuntime({ ...opts, plan }))).toBe("PLAN_UNSIGNED");
    expect(trustCode(() => createRuntime({ ...opts, plan: encodePlan(plan) }))).toBe("PLAN_UNSIGNED");
    expect(trustCode(() => createRuntime({ ...opts, plan: signPlan(encodePlan(plan), mallory.privateKey) }))).toBe("PLAN_UNTRUSTED_KEY");
    expect(trustCode(() => createRuntime({ ...opts, plan: signed, trust: [] }))).toBe("PLAN_UNTRUSTED_KEY");
    expect(store.list().length).toBe(0);
  });

  it("without trust, signatures are not checked: an unsigned plan runs", async () => {
    const o = await createRuntime({ plan, store: new MemoryStore(), models: noModels, tools: noTools }).start("ask", {});
    expect(o.status).toBe("suspended");
  });

  it("refuses to continue a run whose stored plan is not trusted (resume, recover), before the answer is stored", async () => {
    const store = new MemoryStore();
    const started = await createRuntime({ plan, store, models: noModels, tools: noTools }).start("ask", {});
    const journal = store.load(started.runId)!.journal.length;
    const guarded = createRuntime({ plan: signed, trust, store, models: noModels, tools: noTools });
    await expect(guarded.resume(started.runId, "yes")).rejects.toMatchObject({ _tag: "PlanTrustError", code: "PLAN_UNSIGNED" });
    await expect(guarded.recover(started.runId)).rejects.toMatchObject({ _tag: "PlanTrustError", code: "PLAN_UNSIGNED" });
    const after = store.load(started.runId)!;
    expect(after.journal.length).toBe(journal);
    expect(after.snapshot.status).toBe("suspended");
  });
});
