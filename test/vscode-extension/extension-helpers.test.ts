// The extension's pure helpers (vscode-extension/src/awr.ts, graph-view.ts): how awr is invoked,
// which graphs a file declares, the test summary, and the graph preview drawn from `awr graph`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awrInvocation, blankNonCode, cmdQuote, graphNames, testSummary } from "../../vscode-extension/src/awr.js";
import { graphHtml, graphSvg, parseGraphJson } from "../../vscode-extension/src/graph-view.js";
import { layoutGraph, overlaps } from "../../ops/report/graph-layout.js";
import { awr } from "../helpers/awr-cli.js";

describe("awrInvocation", () => {
  const ctx = { extensionPath: "/ext", execPath: "/vscode/code", workspaceFolder: "/ws", env: { PATH: "/bin" } };
  it("runs the bundled server on VS Code's Node.js", () => {
    const inv = awrInvocation({ serverPath: "", serverArgs: ["--max-old-space-size=4096"], runtime: "" }, ["lsp", "--stdio"], ctx);
    expect(inv).toEqual({ command: "/vscode/code", args: ["--max-old-space-size=4096", join("/ext", "server", "awr.mjs"), "lsp", "--stdio"], env: { PATH: "/bin", ELECTRON_RUN_AS_NODE: "1" }, bundled: true, shell: false });
  });
  it("uses a configured node runtime without ELECTRON_RUN_AS_NODE", () => {
    const inv = awrInvocation({ serverPath: "", serverArgs: [], runtime: "/usr/bin/node" }, ["test", "a.awr"], ctx);
    expect(inv.command).toBe("/usr/bin/node");
    expect(inv.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
  });
  it("runs a configured awr as is, relative paths from the workspace folder", () => {
    expect(awrInvocation({ serverPath: "node_modules/.bin/awr", serverArgs: [], runtime: "" }, ["lsp", "--stdio"], ctx)).toMatchObject({
      command: join("/ws", "node_modules/.bin/awr"),
      args: ["lsp", "--stdio"],
      bundled: false,
    });
    expect(awrInvocation({ serverPath: "awr", serverArgs: [], runtime: "" }, ["lsp", "--stdio"], ctx).command).toBe("awr");
  });
  // Node refuses to spawn npm's awr.cmd shim without a shell (EINVAL): on Windows a configured awr
  // goes through cmd.exe, its path and arguments quoted; the bundled server never needs one.
  it("on Windows, runs a configured awr (npm's .cmd shim) through a shell, quoted", () => {
    const win = { extensionPath: "C:\\ext", execPath: "C:\\VS Code\\Code.exe", workspaceFolder: "C:\\My Projects\\app", env: {}, platform: "win32" as const };
    const inv = awrInvocation({ serverPath: "node_modules\\.bin\\awr.cmd", serverArgs: [], runtime: "" }, ["test", "C:\\My Projects\\app\\main.awr"], win);
    expect(inv).toMatchObject({ command: '"C:\\My Projects\\app\\node_modules\\.bin\\awr.cmd"', args: ["test", '"C:\\My Projects\\app\\main.awr"'], shell: true, bundled: false });
    expect(awrInvocation({ serverPath: "awr", serverArgs: [], runtime: "" }, ["lsp", "--stdio"], win)).toMatchObject({ command: "awr", args: ["lsp", "--stdio"], shell: true });
    expect(awrInvocation({ serverPath: "", serverArgs: [], runtime: "" }, ["lsp", "--stdio"], win).shell).toBe(false);
    expect(cmdQuote('say "hi" & exit')).toBe('"say ""hi"" & exit"');
  });
});

describe("graphNames", () => {
  it("lists graph declarations, not words in comments, strings or templates", () => {
    const src = [
      "// graph not_this",
      "/* graph nor_this */",
      'prompt p() { system #"',
      "graph inside_template",
      '"# }',
      "graph first(x: int) -> int { return x }",
      '  graph second { state { s: string = "graph no" } }',
    ].join("\n");
    expect(graphNames(src)).toEqual(["first", "second"]);
    expect(blankNonCode(src).split("\n")).toHaveLength(7);
  });
});

describe("testSummary", () => {
  it("reads the last summary line", () => {
    expect(testSummary("a.awr\n  ✓ t (1 ms)\n3 passed, 1 failed\n")).toEqual({ passed: 3, failed: 1 });
    expect(testSummary("error: no\n")).toBeUndefined();
  });
});

describe("the graph preview", () => {
  it("reads the JSON awr graph exports: nodes, and edges with their kind (on error included)", async () => {
    const r = await awr(["graph", "examples/support-triage/main.awr", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const g = parseGraphJson(r.stdout);
    expect(g.name).toBe("support_case");
    expect(g.nodes.map((n) => n.label)).toEqual(["start", "classify", "fetch_orders", "decide", "refund", "respond", "escalate", "notify", "end", "join"]);
    expect(g.nodes.map((n) => n.shape)).toEqual(["start", "node", "node", "node", "node", "node", "node", "node", "end", "join"]);
    expect(g.edges).toHaveLength(13);
    expect(g.edges[0]).toEqual({ from: "__start", to: "n_classify", kind: "normal", fanOut: true });
    expect(g.edges.find((e) => e.to === "n_refund")).toMatchObject({ kind: "conditional", label: 'when !needs_human && decision!.action == "refund" && decision!.order_id != null' });
    expect(g.edges.find((e) => e.label === "on error")).toEqual({ from: "n_refund", to: "n_escalate", kind: "error", label: "on error" });
    expect(() => parseGraphJson("flowchart TD\n")).toThrow();
  });

  it("lays graphs out top-down with the report's layout: loops as back edges, labels apart", async () => {
    const r = await awr(["graph", "examples/research-pipeline/main.awr", "--format", "json"]);
    const g = parseGraphJson(r.stdout);
    const layout = await layoutGraph(g);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    expect(Math.min(...layout.nodes.map((n) => n.y))).toBe(at.get("__start")!.y);
    expect(Math.max(...layout.nodes.map((n) => n.y))).toBe(at.get("__end")!.y);
    expect(layout.edges.filter((e) => e.back).map((e) => `${e.from}->${e.to}`)).toEqual(["n_review->n_write"]);
    expect(layout.edges.find((e) => e.back)!.kind).toBe("loop");
    for (const e of layout.edges.filter((e) => !e.back)) expect(at.get(e.to)!.y, `${e.from}->${e.to}`).toBeGreaterThan(at.get(e.from)!.y);
    for (const a of layout.nodes) for (const b of layout.nodes) if (a !== b) expect(overlaps(a, b)).toBe(false);
    const labels = layout.edges.flatMap((e) => (e.labelBox ? [e.labelBox] : []));
    for (const a of labels) for (const b of labels) if (a !== b) expect(overlaps(a, b)).toBe(false);
    const svg = await graphSvg(g);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('class="edge loop back"');
    expect((svg.match(/<g class="node step"/g) ?? []).length).toBe(layout.nodes.filter((n) => n.shape === "node").length);
  });

  it("renders a page with a strict CSP and escaped labels", async () => {
    const html = await graphHtml({
      title: "graph <g>",
      graph: { name: "g", nodes: [{ id: "n_a", label: "a", shape: "node" }, { id: "n_b", label: "b", shape: "node" }], edges: [{ from: "n_a", to: "n_b", kind: "conditional", label: "when x < 1" }] },
      cspSource: "vscode-resource:",
      nonce: "abc",
    });
    expect(html).toContain("script-src 'nonce-abc'");
    expect(html).toContain("default-src 'none'");
    expect(html).toContain("graph &#60;g&#62;");
    expect(html).toContain("when x &#60; 1");
    expect(html).not.toContain("when x < 1");
  });
});
