// The HTML report as text: one self-contained page, the graph with one element per node coloured
// by outcome, the timeline, the totals, the audit records, and every piece of user content escaped.
import { describe, expect, it } from "vitest";
import { buildTrace, escapeHtml, graphShape, graphLayout, traceHtml } from "../../vm/report/index.js";
import { NASTY, failedRunPage, fixturePlan, runFixture } from "./fixture.js";

describe("traceHtml", () => {
  it("draws every node of the run's graph once, with its outcome class", async () => {
    const { html } = await failedRunPage();
    const nodes = [...html.matchAll(/<g class="node step outcome-(\w+)" data-node="(\w+)"/g)].map((m) => [m[2], m[1]]);
    expect(Object.fromEntries(nodes)).toEqual({ classify_it: "ok", find: "ok", advise: "ok", sub: "ok", ask: "not_run", send: "failed", never: "not_run" });
    expect(nodes).toHaveLength(fixturePlan().graphs["main"]!.nodes.length);
    expect(html).toContain('<g class="node start">');
    expect(html).toContain('<g class="node end">');
    expect(html).toContain('<g class="node join">'); // edge [classify_it, find] -> advise
    expect(html).toContain("when text == &#34;wait&#34;"); // an edge's condition, escaped
  });

  it("has the timeline rows, the totals, the cost breakdown and the audit table", async () => {
    const { html, runId } = await failedRunPage();
    expect(html.match(/<tr class="tl-row /g)).toHaveLength(13);
    expect(html).toContain(`<tr class="tl-row type-call status-failed" data-type="call" data-status="failed" data-root="send"`);
    expect(html).toMatch(/<div class="card" id="total-cost"><div class="v">0\.0202<\/div>/);
    expect(html).toMatch(/<div class="card" id="total-model-calls"><div class="v">4<\/div><div class="k">model calls, 1 failed<\/div>/);
    expect(html).toContain('<table class="cost by-model">');
    expect(html.match(/<tr class="audit-row /g)).toHaveLength(2);
    expect(html).toContain("$.msg (email)");
    expect(html).toContain(`Run <code>${runId}</code> <span class="badge failed" id="run-status">failed</span>`);
  });

  it("escapes every piece of user content", async () => {
    const { html } = await failedRunPage();
    expect(html).not.toContain(NASTY);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain(escapeHtml(NASTY));
    expect(html.match(/<script/g)).toHaveLength(1); // ours, inline
    // Awaits' reasons are user text too.
    const f = await runFixture({ text: "wait" });
    const page = traceHtml({ trace: buildTrace({ run: f.store.load(f.runId)!, events: f.events, plan: f.plan }), plan: f.plan, audit: [] });
    expect(page).not.toContain("<b>fine</b>");
    expect(page).toContain("Is this &#60;b&#62;fine&#60;/b&#62;?");
    expect(page).toMatch(/<g class="node step outcome-suspended" data-node="ask"/);
    expect(page).toContain('id="no-audit"');
  });

  it("is self-contained: no URL to fetch, and a CSP that forbids fetching", async () => {
    const { html } = await failedRunPage();
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/<[^>]*\s(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/@import|url\((?!#arrow\))/);
  });

  it("still renders without the plan (no graph) and without events (from the journal)", async () => {
    const f = await runFixture();
    const page = traceHtml({ trace: buildTrace({ run: f.store.load(f.runId)!, events: [] }), audit: [] });
    expect(page).toContain("The run's plan is not in the store");
    expect(page).toContain("timeline from the journal");
    expect(page.match(/<tr class="tl-row /g)!.length).toBeGreaterThan(5);
  });
});

describe("the graph layout", () => {
  it("puts start on top, end at the bottom, and every edge's target below its source except loops", () => {
    const plan = fixturePlan();
    const l = graphLayout(graphShape(plan.graphs["main"]!));
    const y = new Map(l.nodes.map((n) => [n.id, n.y]));
    expect(Math.min(...y.values())).toBe(y.get("start"));
    expect(Math.max(...y.values())).toBe(y.get("end"));
    for (const e of l.edges) if (!e.back) expect(y.get(e.to)!).toBeGreaterThan(y.get(e.from)!);
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width).toBeLessThanOrEqual(l.width);
    }
    // No two nodes overlap.
    for (const a of l.nodes)
      for (const b of l.nodes) if (a !== b) expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y).toBe(true);
  });

  it("draws a bounded loop as a back edge", () => {
    const l = graphLayout({
      nodes: [
        { id: "start", label: "start", shape: "start" },
        { id: "n:a", label: "a", shape: "node" },
        { id: "n:b", label: "b", shape: "node" },
        { id: "end", label: "end", shape: "end" },
      ],
      edges: [
        { from: "start", to: "n:a" },
        { from: "n:a", to: "n:b" },
        { from: "n:b", to: "n:a", label: "max 3" },
        { from: "n:b", to: "end" },
      ],
    });
    expect(l.edges.filter((e) => e.back).map((e) => `${e.from}>${e.to}`)).toEqual(["n:b>n:a"]);
  });
});
