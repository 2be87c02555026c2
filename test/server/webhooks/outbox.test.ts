// The VM's half of webhooks out (vm/webhooks.ts): a run's lifecycle events go to the store's
// dispatch outbox in the same commit as its status change, to the run's own target and the runtime's.
import { describe, expect, it } from "vitest";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import { WEBHOOK_DISPATCH, webhookDispatches, type WebhookDispatchPayload } from "../../../vm/webhooks.js";
import type { RunRecord } from "../../../vm/types.js";
import { WAIT, noModels, noTools, planOf } from "../../vm/helpers.js";

const payloads = (store: MemoryStore) => store.takeDispatches().map((d) => ({ kind: d.kind, runId: d.runId, ...(d.payload as unknown as WebhookDispatchPayload) }));

describe("webhook dispatches in the status commit", () => {
  it("a run with a webhook puts run.suspended (with pending) then run.completed in the outbox; its meta keeps the target", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools });
    const s = await rt.start("meet", { x: 1 }, { webhook: { url: "http://127.0.0.1:9/hook" }, meta: { tenant: "acme" } });
    expect(s.status).toBe("suspended");
    expect(store.load(s.runId)!.snapshot.meta).toMatchObject({ tenant: "acme", webhook: { url: "http://127.0.0.1:9/hook" } });
    const [sus, ...none] = payloads(store);
    expect(none).toEqual([]);
    expect(sus).toMatchObject({ kind: WEBHOOK_DISPATCH, runId: s.runId, url: "http://127.0.0.1:9/hook", tenant: "acme", type: "run.suspended" });
    expect(sus!.id).toMatch(/^msg_/);
    expect(sus!.data).toMatchObject({ runId: s.runId, graph: "meet", status: "suspended", pending: [{ id: s.pending![0]!.id, kind: "human", reason: "who is it?" }] });
    expect(Date.parse(sus!.timestamp)).toBeGreaterThan(0);
    // Resumed by another runtime (another process): the target travels in the run's meta.
    const other = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools });
    await other.resume(s.runId, "Ada");
    expect(payloads(store)).toEqual([expect.objectContaining({ type: "run.completed", url: "http://127.0.0.1:9/hook", data: expect.objectContaining({ status: "completed", output: "Ada" }) })]);
  });

  it("a runtime's (deployment's) webhook applies to every run; the same url twice is one dispatch; no target, no dispatch", async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const rt = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools, webhook: (run) => (seen.push(run.runId), { url: "http://127.0.0.1:9/dep" }) });
    const a = await rt.start("meet", { x: 1 });
    const b = await rt.start("meet", { x: 2 }, { webhook: { url: "http://127.0.0.1:9/dep" } });
    const c = await rt.start("meet", { x: 3 }, { webhook: { url: "http://127.0.0.1:9/run" } });
    expect(seen).toEqual([a.runId, b.runId, c.runId]);
    const got = payloads(store).map((p) => [p.runId, p.url]);
    expect(got).toEqual([
      [a.runId, "http://127.0.0.1:9/dep"],
      [b.runId, "http://127.0.0.1:9/dep"],
      [c.runId, "http://127.0.0.1:9/run"],
      [c.runId, "http://127.0.0.1:9/dep"],
    ]);
    const plain = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools });
    await plain.start("meet", { x: 4 });
    expect(store.takeDispatches()).toEqual([]);
  });

  it("refuses a webhook url that is not http(s) before the run is stored", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(WAIT), store, models: noModels, tools: noTools });
    await expect(rt.start("meet", { x: 1 }, { webhook: { url: "file:///etc/passwd" } })).rejects.toThrow(/http\(s\) URL/);
    expect(store.list()).toEqual([]);
  });

  it("a failed run announces run.failed with its error", async () => {
    const store = new MemoryStore();
    const FAIL = `
tool boom(x: int) -> int {
  impl: js("./boom.mjs#boom")
  timeout: 1s
}
graph g(x: int) -> int {
  state { y: int = 0 }
  node n { run boom(x: x) -> y }
  edge start -> n
  edge n -> end
  return y
}
`;
    const rt = createRuntime({ plan: planOf(FAIL), store, models: noModels, tools: noTools, instant: true });
    const r = await rt.start("g", { x: 1 }, { webhook: { url: "https://example.test/h" } });
    expect(r.status).toBe("failed");
    expect(payloads(store)).toEqual([expect.objectContaining({ type: "run.failed", data: expect.objectContaining({ status: "failed", error: expect.objectContaining({ kind: "tool" }) }) })]);
  });
});

describe("webhookDispatches", () => {
  const run: RunRecord = { runId: "r1", graph: "g", planHash: "h", input: {}, principal: {}, status: "running", createdAt: 1, updatedAt: 1, meta: { webhook: { url: "https://a.test/h" } } };
  const typeOf = (status: RunRecord["status"]) => (webhookDispatches(run, { status, error: { kind: "tool", message: "m", retryable: false } }, 5, undefined)[0]?.payload as unknown as WebhookDispatchPayload | undefined)?.type;

  it("maps each final status to its event; a cancelled run is run.failed; a running one sends nothing", () => {
    expect(typeOf("completed")).toBe("run.completed");
    expect(typeOf("failed")).toBe("run.failed");
    expect(typeOf("cancelled")).toBe("run.failed");
    expect(typeOf("suspended")).toBe("run.suspended");
    expect(typeOf("needs_attention")).toBe("run.needs_attention");
    expect(typeOf("running")).toBeUndefined();
  });

  it("gives each dispatch its own message id; without a tenant in meta the payload has none", () => {
    const [a, b] = webhookDispatches(run, { status: "completed", output: 1 }, 5, { url: "https://b.test/h" }).map((d) => d.payload as unknown as WebhookDispatchPayload);
    expect(a!.id).not.toBe(b!.id);
    expect(a).not.toHaveProperty("tenant");
    expect(a!.data).toEqual({ runId: "r1", graph: "g", status: "completed", planHash: "h", createdAt: 1, updatedAt: 5, output: 1 });
  });
});
