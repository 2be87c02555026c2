// The HTML report as text: one self-contained page, the graph with one element per node coloured
// by outcome, the timeline, the totals, the audit records, and every piece of user content escaped.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../../compiler/compile.js";
import { FileHost } from "../../../host/source-host.js";
import { buildTrace, escapeHtml, graphShape, graphLayout, graphSvg, overlaps, traceHtml } from "../../../ops/report/index.js";
import { planOf } from "../../vm/helpers.js";
import { NASTY, failedRunPage, fixturePlan, runFixture } from "./fixture.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "..", "examples");

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
    const page = await traceHtml({ trace: buildTrace({ run: f.store.load(f.runId)!, events: f.events, plan: f.plan }), plan: f.plan, audit: [] });
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
    const page = await traceHtml({ trace: buildTrace({ run: f.store.load(f.runId)!, events: [] }), audit: [] });
    expect(page).toContain("The run's plan is not in the store");
    expect(page).toContain("timeline from the journal");
    expect(page.match(/<tr class="tl-row /g)!.length).toBeGreaterThan(5);
  });
});

describe("the graph layout (elkjs, shared with the VS Code graph view)", () => {
  it("puts start on top, end at the bottom, every forward edge's target below its source, no two nodes overlapping", async () => {
    const plan = fixturePlan();
    const l = await graphLayout(graphShape(plan.graphs["main"]!));
    const y = new Map(l.nodes.map((n) => [n.id, n.y]));
    expect(Math.min(...y.values())).toBe(y.get("start"));
    expect(Math.max(...y.values())).toBe(y.get("end"));
    for (const e of l.edges) if (!e.back) expect(y.get(e.to)!, `${e.from} -> ${e.to}`).toBeGreaterThan(y.get(e.from)!);
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width).toBeLessThanOrEqual(l.width);
    }
    for (const a of l.nodes) for (const b of l.nodes) if (a !== b) expect(overlaps(a, b), `${a.id} / ${b.id}`).toBe(false);
  });

  it("draws a bounded loop as a back edge with its label", async () => {
    const l = await graphLayout({
      nodes: [
        { id: "start", label: "start", shape: "start" },
        { id: "n:a", label: "a", shape: "node" },
        { id: "n:b", label: "b", shape: "node" },
        { id: "end", label: "end", shape: "end" },
      ],
      edges: [
        { from: "start", to: "n:a", kind: "normal" },
        { from: "n:a", to: "n:b", kind: "normal" },
        { from: "n:b", to: "n:a", kind: "loop", label: "max 3" },
        { from: "n:b", to: "end", kind: "normal" },
      ],
    });
    expect(l.edges.filter((e) => e.back).map((e) => `${e.from}>${e.to}`)).toEqual(["n:b>n:a"]);
    expect(l.edges.find((e) => e.back)!.labelBox).toBeDefined();
  });

  it("draws a node's on error edge to its handler, dashed, labelled \"on error\"", async () => {
    const plan = planOf(`
tool risky(x: string) -> string { impl: js("./t.mjs#risky") }
graph g(x: string) -> string {
  state { out: string = "" }
  node work { run risky(x: x) -> out  on error -> handler }
  node handler { set out = "handled" }
  edge start -> work
  edge work -> end
  edge handler -> end
  return out
}`);
    const svg = await graphSvg(plan.graphs["g"]!, {});
    const path = /<path class="edge error" data-from="work" data-to="handler" d="M[\d.]+,[\d.]+[^"]*"/.exec(svg);
    expect(path, svg).not.toBeNull();
    expect(svg).toMatch(/<g class="edge-label error"><title>on error<\/title><rect [^>]*\/><text [^>]*>on error<\/text><\/g>/);
  });

  it("places no two edge labels over each other, nor over a node, for every graph of the examples", async () => {
    const projects = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, "main.awr")));
    expect(projects.length).toBeGreaterThanOrEqual(3);
    let labelled = 0;
    for (const p of projects) {
      const r = compile([join(EXAMPLES, p, "main.awr")], new FileHost(), { plan: true });
      expect(r.plan, `${p}: ${r.diagnostics.map((d) => d.message).join("; ")}`).toBeDefined();
      for (const [name, g] of Object.entries(r.plan!.graphs)) {
        const l = await graphLayout(graphShape(g));
        const boxes = l.edges.filter((e) => e.labelBox).map((e) => ({ what: `${e.from}->${e.to} "${e.label}"`, box: e.labelBox! }));
        labelled += boxes.length;
        expect(boxes.length, `${p}/${name}`).toBe(l.edges.filter((e) => e.label).length);
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i]!.box, boxes[j]!.box), `${p}/${name}: ${boxes[i]!.what} and ${boxes[j]!.what}`).toBe(false);
        for (const b of boxes) for (const n of l.nodes) expect(overlaps(b.box, n), `${p}/${name}: ${b.what} over node ${n.id}`).toBe(false);
      }
    }
    expect(labelled).toBeGreaterThan(5);
  });
});
