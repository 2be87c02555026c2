// Effect keys are a stored format (docs/vm.md § Effect keys (stored format)): every journal names
// its entries with them, so a store written today must resume tomorrow. The strings are pinned
// here byte for byte; the parser reads back every builder's output; and every key a real run
// stores (journal, events, audit) parses.
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeId, ruleId, stmtId } from "../../compiler/plan/index.js";
import * as K from "../../vm/keys.js";
import { buildKey, parseKey, type EffectKey } from "../../vm/keys.js";
import { createRuntime } from "../../vm/runtime.js";
import { SqliteStore } from "../../vm/store/sqlite.js";
import type { ModelProvider, ToolProvider, VmEvent } from "../../vm/types.js";
import { VmFailure } from "../../vm/types.js";
import { planOf } from "./helpers.js";

describe("effect keys: today's exact strings", () => {
  const stmt = K.stmtKey("", stmtId("g", "n", 1), 2);
  it("graph-level keys", () => {
    expect(K.snapshotKey("g", 100)).toBe("graph:g/snapshot:100");
    expect(K.snapshotPrefix("g")).toBe("graph:g/snapshot:");
    expect(K.superstepKey("", "g", 0)).toBe("graph:g/superstep:0");
    expect(K.outputKey("", "g")).toBe("graph:g/output");
    expect(K.stepKey("", nodeId("g", "n"), 3)).toBe("graph:g/node:n#3");
    expect(stmt).toBe("graph:g/node:n/stmt:1#2");
    expect(K.stmtKey("", stmtId("g", "n", 0), 0, 2)).toBe("graph:g/node:n/stmt:0#0@2");
    expect(K.subgraphScope(stmt)).toBe("graph:g/node:n/stmt:1#2/");
    expect(K.stepKey(K.subgraphScope(stmt), nodeId("h", "x"), 0)).toBe("graph:g/node:n/stmt:1#2/graph:h/node:x#0");
    expect(K.outputKey(K.subgraphScope(stmt), "h")).toBe("graph:g/node:n/stmt:1#2/graph:h/output");
  });
  it("calls, attempts, compensation", () => {
    expect(K.mapItemKey(stmt, 4)).toBe("graph:g/node:n/stmt:1#2[4]");
    expect(K.attemptKey(stmt, 0)).toBe(stmt);
    expect(K.attemptKey(stmt, 2)).toBe("graph:g/node:n/stmt:1#2@2");
    expect(K.idempotencyKey("run-1", stmt)).toBe("run-1/graph:g/node:n/stmt:1#2");
    const step = K.stepKey("", nodeId("g", "n"), 0);
    expect(K.compensateKey(step, 0)).toBe("graph:g/node:n#0/compensate");
    expect(K.compensateKey(step, 1)).toBe("graph:g/node:n#0@1/compensate");
    expect(K.undoKey(K.compensateKey(step, 1))).toBe("graph:g/node:n#0@1/compensate/undo");
    expect(K.modelHookKey(stmt, "fast")).toBe("graph:g/node:n/stmt:1#2/fast");
    expect(K.modelAttemptKey(stmt, "fast", 0)).toBe("graph:g/node:n/stmt:1#2/fast@0");
  });
  it("agents, contexts, policies", () => {
    expect(K.contextKey(stmt, "context")).toBe("graph:g/node:n/stmt:1#2/context");
    expect(K.contextKey(stmt, "context", 0)).toBe("graph:g/node:n/stmt:1#2/context0");
    expect(K.contextKey(stmt, "memory", 1)).toBe("graph:g/node:n/stmt:1#2/memory1");
    expect(K.summaryKey(K.contextKey(stmt, "context", 0))).toBe("graph:g/node:n/stmt:1#2/context0/summary");
    expect(K.sessionKey(stmt)).toBe("graph:g/node:n/stmt:1#2/session");
    expect(K.sessionAppendKey(stmt)).toBe("graph:g/node:n/stmt:1#2/session/append");
    const turn = K.turnKey(stmt, 1);
    expect(turn).toBe("graph:g/node:n/stmt:1#2/turn1");
    expect(K.agentToolKey(turn, 0)).toBe("graph:g/node:n/stmt:1#2/turn1/call0");
    expect(K.handoffKey(turn)).toBe("graph:g/node:n/stmt:1#2/turn1/handoff");
    expect(K.approvalKey(stmt)).toBe("graph:g/node:n/stmt:1#2/approval");
    expect(K.classifyKey(stmt, ruleId("p", 0, 1), "moderation")).toBe("graph:g/node:n/stmt:1#2/policy:p/hook:0/rule:1/classify:moderation");
    expect(K.classifyKey(stmt, ruleId("p", 0, 1), "moderation", 2)).toBe("graph:g/node:n/stmt:1#2/policy:p/hook:0/rule:1/classify:moderation#2");
    expect(K.underClassifier(`${K.classifyKey(stmt, ruleId("p", 0, 1), "m")}/x@0`)).toBe(true);
    expect(K.underClassifier(stmt)).toBe(false);
  });
});

// ---------------------------------------------------------------- round trip

/** Names as the plan may spell them, and worse: anything but the key's separators `/ # @ [ ]`. */
const name = fc.oneof(
  fc.constantFrom("g", "node", "graph", "stmt", "turn1", "call0", "context", "undo", "x:y", "a.b", "Ünï", "名前", "-", "_1", " sp ace", "%41", "'\"", "e\u0301"),
  fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[/#@[\]]/.test(s)),
);
/** Model names: also no reserved segment (docs/vm.md: a model named `approval` or `call0` reads otherwise). */
const model = name.filter((s) => !/^(context\d*|memory\d+|session|summary|handoff|approval|undo|compensate|turn\d+|call\d+)$/.test(s));
const int = fc.nat({ max: 1000 });
const pos = fc.integer({ min: 1, max: 1000 });

/** A random key tree, built with the builders only; `call` keys are those the interpreter calls under. */
const stmtArb = (scope: fc.Arbitrary<string>) =>
  fc.record({ scope, g: name, n: name, s: int, iter: int, retry: int }).map(({ scope, g, n, s, iter, retry }) => K.stmtKey(scope, stmtId(g, n, s), iter, retry));
const { call } = fc.letrec<{ call: string; scope: string }>((tie) => ({
  scope: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.constant(""), tie("call").map(K.subgraphScope)),
  call: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    stmtArb(tie("scope")),
    fc.tuple(stmtArb(tie("scope")), int).map(([k, i]) => K.mapItemKey(k, i)),
  ),
}));
const anyKey: fc.Arbitrary<string> = fc.oneof(
  call,
  fc.tuple(name, int).map(([g, s]) => K.snapshotKey(g, s)),
  fc.tuple(call, name, int).map(([c, g, i]) => K.superstepKey(K.subgraphScope(c), g, i)),
  fc.tuple(call, name).map(([c, g]) => K.outputKey(K.subgraphScope(c), g)),
  fc.tuple(name, name, int).map(([g, n, i]) => K.stepKey("", nodeId(g, n), i)),
  fc.tuple(call, name, name, int, int).map(([c, g, n, i, r]) => K.undoKey(K.compensateKey(K.stepKey(K.subgraphScope(c), nodeId(g, n), i), r))),
  call.map((c) => K.undoKey(c)),
  // A tool's retry attempt: under a statement without its own node retry the string is the node
  // retry's (`…#I@N`, docs/vm.md), so the property builds it over map items and agent tool calls.
  fc.tuple(call, pos).map(([c, n]) => K.attemptKey(K.mapItemKey(`${c.replace(/\[\d+\]$/, "")}`, 0), n)),
  fc.tuple(call, int, int, pos).map(([c, t, i, n]) => K.attemptKey(K.agentToolKey(K.turnKey(c, t), i), n)),
  fc.tuple(call, model, int).map(([c, m, n]) => K.modelAttemptKey(c, m, n)),
  fc.tuple(call, int, model, int).map(([c, t, m, n]) => K.modelAttemptKey(K.turnKey(c, t), m, n)),
  fc.tuple(call, model).map(([c, m]) => K.approvalKey(K.modelHookKey(c, m))),
  fc.tuple(call, fc.constantFrom<"context" | "memory">("context", "memory"), int, model, int).map(([c, s, seg, m, n]) => K.modelAttemptKey(K.summaryKey(K.contextKey(c, s, seg)), m, n)),
  call.map((c) => K.contextKey(c, "context")),
  call.map(K.sessionKey),
  call.map(K.sessionAppendKey),
  fc.tuple(call, int).map(([c, t]) => K.approvalKey(K.handoffKey(K.turnKey(c, t)))),
  fc.tuple(call, name, int, int, name, int, model).map(([c, p, h, r, prompt, n, m]) => K.modelAttemptKey(K.classifyKey(c, ruleId(p, h, r), prompt, n), m, 1)),
);

/** Rebuilds a key from its parse alone, all the way up (every parent parsed and rebuilt too). */
function rebuild(key: string): string {
  const k = parseKey(key);
  if (!k) throw new Error(`does not parse: ${JSON.stringify(key)}`);
  const up = K.parentKey(k);
  if (up === undefined) return buildKey(k);
  const again = rebuild(up);
  const fixed = ("parent" in k ? { ...k, parent: again } : { ...k, scope: `${again}/` }) as EffectKey;
  return buildKey(fixed);
}

describe("effect keys: build → parse → the same fields", () => {
  it("every builder's output parses back to the fields it was built from", () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        expect(rebuild(key)).toBe(key);
        expect(buildKey(parseKey(key)!)).toBe(key);
      }),
      { numRuns: 2000 },
    );
  });

  it("fields in, the same fields out (graph-level productions)", () => {
    fc.assert(
      fc.property(call, name, name, int, int, int, (c, g, n, s, iter, retry) => {
        const scope = K.subgraphScope(c);
        expect(parseKey(K.stmtKey(scope, stmtId(g, n, s), iter, retry))).toEqual({ kind: "stmt", scope, graph: g, node: n, stmt: s, iter, retry });
        expect(parseKey(K.stepKey(scope, nodeId(g, n), iter))).toEqual({ kind: "step", scope, graph: g, node: n, iter });
        expect(parseKey(K.superstepKey(scope, g, s))).toEqual({ kind: "superstep", scope, graph: g, index: s });
        expect(parseKey(K.outputKey("", g))).toEqual({ kind: "output", scope: "", graph: g });
        expect(parseKey(K.snapshotKey(g, s))).toEqual({ kind: "snapshot", graph: g, steps: s });
      }),
      { numRuns: 500 },
    );
  });

  it("fields in, the same fields out (calls under a call)", () => {
    fc.assert(
      fc.property(call, model, name, int, int, int, (c, m, p, a, b, n) => {
        expect(parseKey(K.modelAttemptKey(c, m, n))).toEqual({ kind: "modelAttempt", parent: c, model: m, attempt: n });
        expect(parseKey(K.modelHookKey(c, m))).toEqual({ kind: "modelHook", parent: c, model: m });
        expect(parseKey(K.turnKey(c, a))).toEqual({ kind: "turn", parent: c, turn: a });
        expect(parseKey(K.agentToolKey(K.turnKey(c, a), b))).toEqual({ kind: "agentTool", parent: K.turnKey(c, a), index: b });
        expect(parseKey(K.contextKey(c, "memory", a))).toEqual({ kind: "context", parent: c, source: "memory", segment: a });
        expect(parseKey(K.contextKey(c, "context"))).toEqual({ kind: "context", parent: c, source: "context", segment: undefined });
        expect(parseKey(K.classifyKey(c, ruleId(p, a, b), m, n))).toEqual({ kind: "classify", parent: c, policy: p, hook: a, rule: b, prompt: m, n });
      }),
      { numRuns: 500 },
    );
  });

  it("a string no builder makes does not parse", () => {
    for (const s of ["", "graph:", "graph:g", "graph:g/node:n", "graph:g/node:n#x", "graph:g/node:n#01", "node:n#0", "graph:g/node:n/stmt:0#0/", "/graph:g/node:n#0", "graph:g/node:n/stmt:0#0/turn1/call0/handoff/x"])
      expect(parseKey(s), s).toBeUndefined();
  });

  it("the questions the reports and tracing ask", () => {
    expect(K.stepKeyOf("graph:g/node:n/stmt:1#0@1[3]/m@0")).toBe("graph:g/node:n#0");
    expect(K.stepOfKey("graph:g/node:n/stmt:0#0/graph:h/node:x/stmt:0#1/turn0/m@0")).toEqual({ step: "graph:g/node:n/stmt:0#0/graph:h/node:x#1", graph: "h", node: "x", depth: 1 });
    expect(K.parentStepOf("graph:g/node:n/stmt:0#0/graph:h/node:x#1")).toBe("graph:g/node:n#0");
    expect(K.graphScopeOf("graph:g/node:n/stmt:0#0/graph:h/superstep:2")).toBe("graph:g/node:n/stmt:0#0/graph:h");
    expect(K.agentCallOfTurn("graph:g/node:n/stmt:0#0/turn3/fast@1")).toBe("graph:g/node:n/stmt:0#0");
    expect(K.agentCallOfTurn("graph:g/node:n/stmt:0#0/fast@1")).toBeUndefined();
  });
});

// ---------------------------------------------------------------- keys a real run stored

const SOURCE = `
type Verdict { flagged: bool, category: string }
model m { provider: "openai" name: "m" timeout: 5s max_tokens: 100 }
model flaky { provider: "openai" name: "f" timeout: 5s max_tokens: 100 retry: 1 fallback: [m] }
prompt moderation(text: string) -> Verdict { model: m user #"Moderate: {{ text }}"# }
prompt ask(text: string) -> string { model: flaky user #"{{ text }}"# }
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") timeout: 1s retry: 2 idempotent: true }
tool book(item: string) -> string { impl: js("./t.mjs#book") timeout: 1s compensate: cancel(id: result) }
tool cancel(id: string) -> bool { impl: js("./t.mjs#cancel") timeout: 1s }
tool boom(x: string) -> string { impl: js("./t.mjs#boom") timeout: 1s }
agent helper(q: string) -> string {
  model: m
  role: "helper"
  instructions #"{{ q }}"#
  tools: [lookup]
  handoffs: [closer]
}
agent closer(q: string, note: string) -> string {
  model: m
  role: "closer"
  instructions #"{{ note }}"#
}
graph inner(s: string) -> string {
  state { r: string? }
  node up { run ask(text: s) -> r }
  edge start -> up
  edge up -> end
  return r!
}
graph main(items: list<string>) -> string {
  state { found: list<string>?, sub: string?, help: string?, booked: string?, last: string? }
  node fan { map x in items run lookup(q: x) -> found }
  node nested { run inner(s: "mail ann@example.com") -> sub }
  node agent_call { run helper(q: "go") -> help }
  node reserve { run book(item: "a") -> booked  compensate cancel(id: "node") }
  node fail { run boom(x: "b") -> last }
  edge start -> fan
  edge fan -> nested
  edge nested -> agent_call
  edge agent_call -> reserve
  edge reserve -> fail
  edge fail -> end
  return last!
}
policy safety {
  before tool book { deny when moderation(text: input.item).flagged because "flagged" }
  before tool lookup { approve when input.q == "check" because "a person looks" }
  before agent closer { allow }
  after output inner { allow }
  before model { redact email }
}
`;

describe("effect keys: every key a real run stored parses", () => {
  it("journal entries, events and audit steps of a run through sub-graphs, maps, retries, fallbacks, agents, handoffs, policies, approvals and compensation (SQLite)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-keys-"));
    try {
      const store = new SqliteStore(join(dir, "runs.db"));
      let lookups = 0;
      let flaky = 0;
      let helperTurns = 0;
      const models: ModelProvider = {
        async call(req) {
          if (req.model === "flaky" && flaky++ < 2) throw new VmFailure({ kind: "rate_limit", message: "slow down", retryable: true });
          if (req.caller === "moderation") return { output: { flagged: false, category: "ok" }, usage: { input: 1, output: 1 }, costUsd: 0 };
          if (req.caller === "helper") {
            const turn = helperTurns++;
            if (turn === 0) return { output: "", toolCalls: [{ id: "c1", name: "lookup", arguments: JSON.stringify({ q: "z" }) }], usage: { input: 1, output: 1 }, costUsd: 0 };
            return { output: "", toolCalls: [{ id: "c2", name: "transfer_to_closer", arguments: JSON.stringify({ note: "done" }) }], usage: { input: 1, output: 1 }, costUsd: 0 };
          }
          return { output: "fine", usage: { input: 1, output: 1 }, costUsd: 0 };
        },
      };
      const tools: ToolProvider = {
        async call(req) {
          if (req.tool === "lookup" && req.args["q"] === "z" && lookups++ === 0) throw new VmFailure({ kind: "tool", message: "flaky", retryable: true });
          if (req.tool === "boom") throw new VmFailure({ kind: "tool", message: "boom", retryable: false });
          return req.tool === "cancel" ? true : `ok ${req.tool}`;
        },
      };
      const events: VmEvent[] = [];
      const rt = createRuntime({ plan: planOf(SOURCE), store, models, tools, instant: true, breakers: false, snapshots: { every: 1 }, onEvent: (e) => events.push(e) });
      const first = await rt.start("main", { items: ["a", "check"] });
      expect(first.status).toBe("suspended");
      const pending = store.load(first.runId)!.snapshot.pending!;
      for (const p of pending) await rt.resume(first.runId, true, { interruptId: p.id });
      const done = store.load(first.runId)!;
      expect(done.snapshot.status).toBe("failed");

      const keys = new Set<string>([
        ...done.journal.map((e) => e.key),
        ...events.flatMap((e) => ("key" in e && typeof e.key === "string" ? [e.key] : "step" in e && typeof e.step === "string" ? [e.step] : [])),
        ...store.audit({ runId: first.runId }).map((a) => a.step),
      ]);
      const kinds = new Set<string>();
      for (const key of keys) {
        expect(parseKey(key), key).toBeDefined();
        expect(rebuild(key)).toBe(key);
        for (let k = parseKey(key), up: string | undefined; k; up = K.parentKey(k), k = up === undefined ? undefined : parseKey(up)) kinds.add(k.kind);
      }
      // Not in this run: an agent's session (needs a session id) and context assembly (needs a
      // context provider): session, sessionAppend, context, summary — the property test covers them.
      expect([...kinds].sort()).toEqual(
        ["agentTool", "approval", "attempt", "classify", "compensate", "handoff", "map", "modelAttempt", "modelHook", "output", "snapshot", "step", "stmt", "superstep", "turn", "undo"].sort(),
      );
      store.close?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
