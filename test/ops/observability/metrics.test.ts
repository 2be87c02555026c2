// Metrics: runs feed a per-runtime Registry; `/metrics` is scraped over HTTP as Prometheus would.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics, serveMetrics } from "../../../ops/observability/metrics.js";
import { createRuntime } from "../../../vm/runtime.js";
import { MemoryStore } from "../../../vm/store/memory.js";
import { VmFailure, type ModelProvider } from "../../../vm/types.js";
import { planOf } from "../../vm/helpers.js";
import { SOURCE, models, plan, tools } from "./fixtures.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function scrape(server: Server, path = "/metrics"): Promise<{ status: number; type: string | null; text: string }> {
  const { port, address } = server.address() as AddressInfo;
  const res = await fetch(`http://${address}:${port}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one series (exact label set, in the order prom-client prints them). */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("Prometheus metrics", () => {
  it("after a run, /metrics has the run, token, cost, step and call series", async () => {
    const metrics = createMetrics();
    const store = new MemoryStore();
    const rt = createRuntime({ plan: plan(), store, models: models(new Set(["primary"])).provider, tools: tools().provider, instant: true, onEvent: metrics.onEvent });
    const r = await rt.start("triage", { text: "x" });
    expect(r.status).toBe("completed");
    const server = await serveMetrics(metrics.registry, 0);
    servers.push(server);
    expect((server.address() as AddressInfo).address).toBe("127.0.0.1");

    const { status, type, text } = await scrape(server);
    expect(status).toBe(200);
    expect(type).toContain("text/plain");
    expect(value(text, 'awr_runs_total{graph="triage",status="completed"}')).toBe(1);
    // primary failed (a transport failure, no usage); backup answered with 12 + 3 tokens.
    expect(value(text, 'awr_model_tokens_total{model="backup",direction="input"}')).toBe(12);
    expect(value(text, 'awr_model_tokens_total{model="backup",direction="output"}')).toBe(3);
    expect(value(text, 'awr_cost_usd_total{model="backup"}')).toBeCloseTo((12 * 1.0 + 3 * 4.0) / 1e6, 12);
    expect(value(text, 'awr_model_calls_total{model="primary",outcome="failed"}')).toBe(1);
    expect(value(text, 'awr_model_calls_total{model="backup",outcome="ok"}')).toBe(1);
    expect(value(text, 'awr_fallbacks_total{from="primary",to="backup"}')).toBe(1);
    expect(value(text, 'awr_step_duration_seconds_count{graph="triage",node="classify",status="ok"}')).toBe(1);
    expect(value(text, 'awr_step_duration_seconds_count{graph="inner",node="send",status="ok"}')).toBe(1);
    expect(value(text, 'awr_effect_duration_seconds_count{kind="tool",name="notify",outcome="ok"}')).toBe(1);
    expect(value(text, 'awr_effect_duration_seconds_count{kind="prompt",name="rate",outcome="failed"}')).toBe(1);
    expect(value(text, 'awr_run_duration_seconds_count{graph="triage",status="completed"}')).toBe(1);
    expect(text).toContain("# TYPE awr_circuit_state gauge");

    // Re-executing the finished run serves every effect from the journal: no new tokens, no new cost.
    await rt.recover(r.runId);
    const again = (await scrape(server)).text;
    expect(value(again, 'awr_runs_total{graph="triage",status="completed"}')).toBe(2);
    expect(value(again, 'awr_model_tokens_total{model="backup",direction="input"}')).toBe(12);
    expect(value(again, 'awr_effect_duration_seconds_count{kind="tool",name="notify",outcome="ok"}')).toBe(1);

    expect((await scrape(server, "/other")).status).toBe(404);
  });

  it("retries are counted by failure kind; each runtime has its own registry", async () => {
    const p = planOf(SOURCE.replace("fallback: [backup]", "retry: 2"));
    const a = createMetrics();
    const b = createMetrics();
    let n = 0;
    const ok = models().provider;
    const flaky: ModelProvider = {
      call: (req, s) => (n++ < 2 ? Promise.reject(new VmFailure({ kind: "rate_limit", message: "slow down", retryable: true })) : ok.call(req, s)),
    };
    const rt = createRuntime({ plan: p, store: new MemoryStore(), models: flaky, tools: tools().provider, instant: true, onEvent: a.onEvent });
    expect((await rt.start("triage", { text: "x" })).status).toBe("completed");
    const text = await a.registry.metrics();
    expect(value(text, 'awr_retries_total{failure="rate_limit"}')).toBe(2);
    expect(value(text, 'awr_model_calls_total{model="primary",outcome="failed"}')).toBe(2);
    expect(await b.registry.metrics()).not.toContain("awr_retries_total{");
  });

  it("the cost of a call is frozen in the journal: a replay under a changed price table shows the cost paid", async () => {
    const store = new MemoryStore();
    const first: number[] = [];
    const rt = createRuntime({
      plan: plan(),
      store,
      models: models().provider,
      tools: tools().provider,
      instant: true,
      onEvent: (e) => e.type === "effect.completed" && e.costUsd !== undefined && first.push(e.costUsd),
    });
    const r = await rt.start("triage", { text: "x" });
    expect(first).toEqual([(12 * 2.0 + 3 * 8.0) / 1e6]);
    const pricier = planOf(SOURCE.replace("price { input: 2.0, output: 8.0 }", "price { input: 20.0, output: 80.0 }"));
    const replayed: { cost?: number; replayed: boolean; tokens?: unknown }[] = [];
    const rt2 = createRuntime({
      plan: pricier,
      store,
      models: models().provider,
      tools: tools().provider,
      instant: true,
      onEvent: (e) => e.type === "effect.completed" && e.model !== undefined && replayed.push({ cost: e.costUsd, replayed: e.replayed, tokens: e.tokens }),
    });
    await rt2.recover(r.runId);
    expect(replayed).toEqual([{ cost: first[0], replayed: true, tokens: { input: 12, output: 3 } }]);
  });

  it("serveMetrics refuses a busy port with the error of listen", async () => {
    const m = createMetrics();
    const s = await serveMetrics(m.registry, 0);
    servers.push(s);
    await expect(serveMetrics(m.registry, (s.address() as AddressInfo).port)).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
