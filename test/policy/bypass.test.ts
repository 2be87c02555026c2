// A plan cannot call a tool without the before-tool hook: try every way a plan can reach a tool
// (a node, an agent's tool loop, a map, a sub-graph, a tool's compensation, a node's compensation)
// with a policy that denies it. The provider must never see the call, and every attempt must be in
// the audit log as a deny naming the rule.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MODELS, PRINCIPAL, harness } from "./helpers.js";
import { VmFailure } from "../../vm/types.js";

const COMMON = `${MODELS}
tool secret(x: string) -> string { impl: js("./t.mjs#secret") tags: [vault.read] }
tool book(item: string) -> string { impl: js("./t.mjs#book") compensate: secret(x: result) }
tool fail_now(x: string) -> string { impl: js("./t.mjs#fail") }
agent spy(q: string) -> string { model: am tools: [secret] goal: "Find it" }
policy vault {
  before tool tagged vault.read { deny because "the vault is closed" }
}
`;

const DENY = "policy:vault/hook:0/rule:0";

const agentModel = (req: { caller: string; messages: { role: string }[] }) =>
  req.messages.some((m) => m.role === "tool") ? { output: "gave up" } : { output: "", toolCalls: [{ id: "c1", name: "secret", arguments: JSON.stringify({ x: "k" }) }] };

const tool = (name: string, args: Record<string, unknown>) => {
  if (name === "fail_now") throw new VmFailure({ kind: "tool", message: "boom", retryable: false });
  return `${name}:${JSON.stringify(args)}`;
};

const PATHS: Record<string, string> = {
  "a node": `
graph g() -> string {
  state { r: string? }
  node n { run secret(x: "k") -> r }
  edge start -> n
  edge n -> end
  return r ?? ""
}`,
  "an agent's tool loop": `
graph g() -> string {
  state { r: string? }
  node n { run spy(q: "k") -> r }
  edge start -> n
  edge n -> end
  return r ?? ""
}`,
  "a map": `
graph g() -> list<string> {
  state { rs: list<string> @reduce(append) = [] }
  node n { map k in ["a", "b", "c"] concurrency 2 run secret(x: k) -> rs }
  edge start -> n
  edge n -> end
  return rs
}`,
  "a sub-graph": `
graph inner(x: string) -> string {
  state { r: string? }
  node n { run secret(x: x) -> r }
  edge start -> n
  edge n -> end
  return r ?? ""
}
graph g() -> string {
  state { r: string? }
  node n { run inner(x: "k") -> r }
  edge start -> n
  edge n -> end
  return r ?? ""
}`,
  "a tool's compensation": `
graph g() -> string {
  state { b: string?, f: string? }
  node n1 { run book(item: "room") -> b }
  node n2 { run fail_now(x: "go") -> f }
  edge start -> n1
  edge n1 -> n2
  edge n2 -> end
  return f ?? ""
}`,
  "a node's compensation": `
graph g() -> string {
  state { b: string?, f: string? }
  node n1 { run fail_now(x: "a") -> b }
  node n0 {
    set b = "x"
    compensate secret(x: "undo")
  }
  edge start -> n0
  edge n0 -> n1
  edge n1 -> end
  return b ?? ""
}`,
};

describe("no path reaches a tool without the before-tool hook", () => {
  for (const [path, graph] of Object.entries(PATHS)) {
    it(`through ${path}`, async () => {
      const h = harness(COMMON + graph, { model: agentModel, tool });
      const r = await h.rt.start("g", {}, { principal: PRINCIPAL });
      expect(h.toolCalls.filter((c) => c.tool === "secret")).toEqual([]);
      const denies = h.store.audit({ runId: r.runId, outcome: "deny" });
      expect(denies.length).toBeGreaterThan(0);
      for (const d of denies) expect(d).toMatchObject({ kind: "policy", hook: "before tool", target: "secret", policy: "vault", rule: DENY, reason: "the vault is closed" });
      // The other tools went through (and were recorded as tool calls).
      for (const c of h.toolCalls) expect(h.store.audit({ runId: r.runId, kind: "tool" }).some((a) => a.target === c.tool)).toBe(true);
    });
  }

  it("the VM calls ToolProvider.call in two places only, both behind the hook (interpreter call and compensate)", () => {
    // A guard against a new code path: providers aside, no VM module may call tools directly.
    const VM = join(import.meta.dirname, "..", "..", "vm");
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) files.push(p);
      }
    };
    walk(VM);
    const sites = files.flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ f: f.slice(VM.length + 1), i, line }))
        .filter((x) => /\btools\.call\(/.test(x.line) && !x.f.startsWith("tools/")),
    );
    expect(sites.map((s) => s.f)).toEqual(["exec/call.ts", "exec/compensate.ts"]);
  });
});
