// Classifier calls in policy rules: a prompt called in a condition (or a transform value) is a
// journaled model call the VM makes before deciding. Checked and typed by the prompt's signature;
// evaluated lazily; memoised per hook; replayed from the journal; passed through `before model`
// (so redaction protects what the classifier sees); a failing classifier denies; a classifier's
// own model call is not classified again; `mock` answers it in test blocks.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { RecordedModels } from "../../vm/gateway/recorded.js";
import { evaluatePolicies, type ClassifierAnswer, type PolicyCall } from "../../vm/policy/engine.js";
import { replayRun } from "../../vm/replay.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { runTests } from "../../vm/testing.js";
import { VmFailure, type ModelRequest, type ToolProvider } from "../../vm/types.js";
import { memoryHost } from "../helpers/memory-host.js";
import { planOf } from "../vm/helpers.js";
import { MODELS, PRINCIPAL, harness } from "./helpers.js";

const DECLS = `${MODELS}
type Verdict { flagged: bool, category: string }
tool send(body: string) -> string { impl: js("./t.mjs#send") timeout: 5s }
prompt moderation(text: string, strict: bool = false) -> Verdict { model: m user #"Moderate: {{ text }}"# }
prompt summarize(text: string) -> string { model: m user #"Summarize {{ text }}"# }
agent helper(q: string) -> string { model: am goal: "help" }
`;

const GRAPH = `
graph g(body: string) -> string {
  state { sent: string? }
  node n { run send(body: body) -> sent }
  edge start -> n
  edge n -> end
  return sent!
}
`;

const errors = (policy: string) =>
  compile(["main.awr"], memoryHost({ "main.awr": `${DECLS}${GRAPH}\n${policy}` }), {})
    .diagnostics.filter((d) => d.code !== "AWR7001") // the cost bound's info (the test models have no max_tokens)
    .map((d) => `${d.code} ${d.message}`);

describe("checks", () => {
  it("types a classifier call by the prompt's signature, and counts it as a use of the prompt", () => {
    expect(errors(`policy p { before tool send { deny when moderation(text: input.body).flagged && moderation(input.body, true).category == "spam" } }`).filter((d) => !d.includes('"summarize"') && !d.includes('"helper"'))).toEqual([]);
    expect(errors(`policy p { before tool send { deny when moderation(txt: input.body).flagged } }`).join()).toMatch(/AWR3002 prompt "moderation" has no parameter "txt"; did you mean "text"\?/);
    expect(errors(`policy p { before tool send { deny when moderation(text: 3).flagged } }`).join()).toMatch(/AWR3001/);
    expect(errors(`policy p { before tool send { deny when moderation(text: input.body).flaged } }`).join()).toMatch(/AWR2005 Verdict has no field "flaged"/);
    expect(errors(`policy p { before tool send { deny when moderation(text: input.body) } }`).join()).toMatch(/AWR3001 a rule's condition must be bool/);
    expect(errors(`policy p { before tool send { transform input.body = summarize(text: input.body) } }`).filter((d) => d.startsWith("AWR3") || d.startsWith("AWR5"))).toEqual([]);
  });

  it("rejects agents, tools and graphs (AWR5009), and a classifier in a reason (AWR5009)", () => {
    expect(errors(`policy p { before tool send { deny when helper(q: input.body) == "no" } }`).join()).toMatch(/AWR5009 only a prompt can be called in a policy rule \(as a classifier\): "helper" is an agent/);
    expect(errors(`policy p { before tool send { deny when send(body: "x") == "" } }`).join()).toMatch(/AWR5009 .*"send" is a tool/);
    expect(errors(`policy p { before tool send { deny when g(body: "x") == "" } }`).join()).toMatch(/AWR5009 .*"g" is a graph/);
    expect(errors(`policy p { before tool send { deny because summarize(text: input.body) } }`).join()).toMatch(/AWR5009 a classifier is called in a rule's condition or a transform's value, not in its reason/);
    // Outside policies a prompt stays uncallable in an expression.
    const r = compile(["main.awr"], memoryHost({ "main.awr": `${DECLS}graph h(x: string) -> bool {\n  state { b: bool? }\n  node n { set b = moderation(text: x).flagged }\n  edge start -> n\n  edge n -> end\n  return b!\n}` }), {});
    expect(r.diagnostics.map((d) => d.code)).toContain("AWR3008");
  });
});

describe("lowering", () => {
  it("lists the rule's classifiers and passes the arguments as one record, named by the prompt's parameters", () => {
    const plan = planOf(`${DECLS}${GRAPH}
policy p {
  before tool send {
    deny when moderation(input.body, strict: true).flagged || summarize(text: input.body) == "x"
    transform input.body = summarize(text: summarize(text: input.body))
    allow
  }
}`);
    const [deny, transform, allow] = plan.policies["p"]!.hooks[0]!.rules;
    expect(deny!.classifiers).toEqual(["moderation", "summarize"]);
    expect(transform!.classifiers).toEqual(["summarize"]);
    expect(allow!.classifiers).toBeUndefined();
    const input = { k: "ref", name: "input" };
    const body = { k: "member", obj: input, name: "body", optional: false };
    expect(deny!.when).toMatchObject({
      k: "binary",
      op: "||",
      left: { k: "member", name: "flagged", obj: { k: "call", fn: "moderation", args: [{ k: "record", fields: [{ key: "text", value: body }, { key: "strict", value: { k: "lit", v: true } }] }] } },
    });
    // A classifier inside a classifier's arguments is lowered too.
    expect(transform!.value).toEqual({ k: "call", fn: "summarize", args: [{ k: "record", fields: [{ key: "text", value: { k: "call", fn: "summarize", args: [{ k: "record", fields: [{ key: "text", value: body }] }] } }] }] });
  });
});

describe("the engine asks, the interpreter answers", () => {
  const plan = planOf(`${DECLS}${GRAPH}
policy p {
  before tool send {
    deny when input.body != "" && moderation(text: input.body).flagged because "flagged"
    deny when moderation(text: input.body).category == "spam" because "spam"
    deny when input.body == "blocked" because "blocked word"
  }
}`);
  const call = (body: string): PolicyCall => ({ phase: "before", target: "tool", name: "send", tags: [], input: { body }, principal: PRINCIPAL });
  const answers = (v: ClassifierAnswer) => {
    const first = evaluatePolicies(plan, call("hello"));
    return new Map(first.pending.map((p) => [p.key, v]));
  };

  it("waits for the classifier, once per prompt and arguments, naming the first rule that asked", () => {
    const d = evaluatePolicies(plan, call("hello"));
    expect(d.pending).toEqual([{ key: expect.stringMatching(/^moderation:/), prompt: "moderation", args: { text: "hello" }, rule: "policy:p/hook:0/rule:0" }]);
    const flagged = evaluatePolicies(plan, call("hello"), { classified: answers({ value: { flagged: true, category: "abuse" } }) });
    expect(flagged).toMatchObject({ outcome: "deny", reason: "flagged", pending: [] });
    const clean = evaluatePolicies(plan, call("hello"), { classified: answers({ value: { flagged: false, category: "ok" } }) });
    expect(clean).toMatchObject({ outcome: "allow", pending: [] });
  });

  it("is lazy: a condition that short-circuits does not ask, and a deny without a classifier decides alone", () => {
    const only = planOf(`${DECLS}${GRAPH}\npolicy p { before tool send { deny when input.body != "" && moderation(text: input.body).flagged } }`);
    expect(evaluatePolicies(only, call("")).pending).toEqual([]);
    const d = evaluatePolicies(plan, call("blocked"));
    expect(d).toMatchObject({ outcome: "deny", reason: "blocked word", pending: [] });
  });

  it("a classifier that failed makes its rule deny (fail closed)", () => {
    const d = evaluatePolicies(plan, call("hello"), { classified: answers({ error: "transport: down" }) });
    expect(d.outcome).toBe("deny");
    expect(d.rules).toEqual(["policy:p/hook:0/rule:0", "policy:p/hook:0/rule:1"]);
    expect(d.reason).toContain("the classifier moderation failed: transport: down");
  });

  it("for a classifier's own model call, rules that need a classifier are not applied", () => {
    const d = evaluatePolicies(plan, call("hello"), { skipClassifiers: true });
    expect(d).toMatchObject({ outcome: "allow", pending: [], matched: [] });
  });
});

// ---------------------------------------------------------------- running programs

const POLICY = `
policy safety {
  before tool send { deny when moderation(text: input.body).flagged because "flagged by moderation" }
  before model { redact email }
}`;

/** The classifier flags texts containing "attack"; other prompts echo. */
function moderator(req: ModelRequest) {
  if (req.caller === "moderation") return { output: { flagged: req.messages[0]!.content.includes("attack"), category: "x" } };
  return { output: `echo ${req.messages[0]!.content}` };
}

describe("classifiers in a running program", () => {
  it("flagged → denied; not flagged → the call goes through; the call is journaled under the hook and rule", async () => {
    const h = harness(`${DECLS}${GRAPH}${POLICY}`, { model: moderator, tool: (_t, a) => `sent ${a["body"]}` });
    const bad = await h.rt.start("g", { body: "plan the attack" }, { principal: PRINCIPAL });
    expect(bad.status).toBe("failed");
    expect(bad.error).toMatchObject({ kind: "policy", message: "before tool send: denied by safety (policy:safety/hook:0/rule:0): flagged by moderation" });
    expect(h.toolCalls).toEqual([]);
    const ok = await h.rt.start("g", { body: "hello" }, { principal: PRINCIPAL });
    expect(ok).toMatchObject({ status: "completed", output: "sent hello" });
    expect(h.modelCalls.map((c) => c.caller)).toEqual(["moderation", "moderation"]);
    const keys = h.store.load(ok.runId)!.journal.filter((e) => e.phase === "outcome").map((e) => e.key);
    expect(keys).toContain("graph:g/node:n/stmt:0#0/policy:safety/hook:0/rule:0/classify:moderation/m@0");
    expect(ok.observed.calls.get("moderation")).toBe(1);
  });

  it("the classifier calls one evaluation asks for run in parallel", async () => {
    const plan = planOf(`${DECLS}${GRAPH}
policy safety {
  before tool send {
    deny when moderation(text: input.body).flagged because "flagged"
    deny when summarize(text: input.body) == "spam" because "spam"
  }
}`);
    let inFlight = 0;
    let most = 0;
    const models = {
      async call(req: ModelRequest) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return { output: req.caller === "moderation" ? { flagged: false, category: "ok" } : "fine", usage: { input: 1, output: 1 }, costUsd: 0 };
      },
    };
    const tools: ToolProvider = { call: async () => "sent" };
    const rt = createRuntime({ plan, store: new MemoryStore(), models, tools, instant: true });
    expect(await rt.start("g", { body: "hello" })).toMatchObject({ status: "completed", output: "sent" });
    expect(most).toBe(2);
  });

  it("what the classifier sees passes before model: its redaction applies", async () => {
    const h = harness(`${DECLS}${GRAPH}${POLICY}`, { model: moderator, tool: () => "ok" });
    const r = await h.rt.start("g", { body: "mail ann@example.com" });
    expect(r.status).toBe("completed");
    expect(h.modelCalls).toEqual([{ model: "m", caller: "moderation", messages: [{ role: "user", content: "Moderate: mail [REDACTED:email]" }] }]);
    // The tool itself gets the original body (no redaction at before tool).
    expect(h.toolCalls[0]!.args).toEqual({ body: "mail ann@example.com" });
  });

  it("equal classifier calls of one hook are made once; a resumed run and awr replay take them from the journal", async () => {
    const source = `${DECLS}
graph g(body: string) -> string {
  state { sent: string?, ok: string? }
  node n { run send(body: body) -> sent }
  node ask { await human("continue?") -> ok }
  edge start -> n
  edge n -> ask
  edge ask -> end
  return sent! + ok!
}
policy safety {
  before tool send {
    deny when moderation(text: input.body).flagged because "flagged"
    approve when moderation(text: input.body).category == "review" because "a person looks"
  }
}`;
    const h = harness(source, { model: () => ({ output: { flagged: false, category: "review" } }), tool: () => "sent" });
    const r = await h.rt.start("g", { body: "hi" }, { principal: PRINCIPAL });
    expect(r.status).toBe("suspended");
    expect(h.modelCalls).toHaveLength(1); // two rules, one call
    const approved = await h.rt.resume(r.runId, true);
    expect(approved.status).toBe("suspended"); // now at the await
    const done = await h.rt.resume(r.runId, "yes");
    expect(done).toMatchObject({ status: "completed", output: "sentyes" });
    // Each resume replayed the hook: the classifier's answer came from the journal.
    expect(h.modelCalls).toHaveLength(1);
    const replay = await replayRun(h.store, r.runId, h.rt.plan);
    expect(replay.problems).toEqual([]);
    expect(replay.ok).toBe(true);
  });

  it("a classifier that fails after its retries and fallbacks denies the call", async () => {
    const h = harness(`${DECLS}${GRAPH}${POLICY}`, {
      model: (req) => {
        if (req.caller === "moderation") throw new VmFailure({ kind: "transport", message: "moderation service down", retryable: false });
        return { output: "x" };
      },
    });
    const r = await h.rt.start("g", { body: "hello" });
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("policy");
    expect(r.error?.message).toContain("the classifier moderation failed: transport: moderation service down");
    expect(h.toolCalls).toEqual([]);
  });

  it("a before-model rule with a classifier does not recurse: the classifier's own call is not classified again", async () => {
    const source = `${DECLS}
graph g(text: string) -> string {
  state { s: string? }
  node n { run summarize(text: text) -> s }
  edge start -> n
  edge n -> end
  return s!
}
policy screen { before model { deny when moderation(text: input.text).flagged because "prompt flagged" } }`;
    const h = harness(source, { model: moderator });
    const ok = await h.rt.start("g", { text: "a poem" });
    expect(ok).toMatchObject({ status: "completed", output: "echo Summarize a poem" });
    expect(h.modelCalls.map((c) => c.caller)).toEqual(["moderation", "summarize"]);
    const bad = await h.rt.start("g", { text: "an attack" });
    expect(bad.error?.message).toContain("prompt flagged");
    expect(h.modelCalls.map((c) => c.caller)).toEqual(["moderation", "summarize", "moderation"]);
  });

  it("a classifier can compute a transform's value", async () => {
    const h = harness(`${DECLS}${GRAPH}\npolicy p { before tool send { transform input.body = summarize(text: input.body) } }`, { model: moderator, tool: (_t, a) => `sent ${a["body"]}` });
    const r = await h.rt.start("g", { body: "long text" });
    expect(r).toMatchObject({ status: "completed", output: "sent echo Summarize long text" });
  });

  it("recorded models answer classifier calls by the prompt's name (awr run --models recorded:)", async () => {
    const recorded = new RecordedModels([
      { caller: "moderation", match: { contains: "attack" }, output: { flagged: true, category: "violence" } },
      { caller: "moderation", output: { flagged: false, category: "ok" } },
    ]);
    const tools: ToolProvider = { call: async () => "sent" };
    const rt = createRuntime({ plan: planOf(`${DECLS}${GRAPH}${POLICY}`), store: new MemoryStore(), models: recorded, tools, instant: true });
    expect((await rt.start("g", { body: "an attack" })).status).toBe("failed");
    expect((await rt.start("g", { body: "a greeting" })).status).toBe("completed");
  });
});

describe("awr test blocks mock classifiers", () => {
  it("runs the fixture's tests: mock moderation answers the classifier", async () => {
    const source = readFileSync(new URL("./fixtures/classifier.awr", import.meta.url), "utf8");
    const results = await runTests(planOf(source), { tools: { call: async () => "sent" } });
    expect(results.map((r) => [r.name, r.ok, r.status, r.expects.filter((e) => !e.ok).map((e) => `${e.text}: ${e.detail}`)])).toEqual([
      ["flagged_text_is_blocked", true, "failed", []],
      ["clean_text_is_sent", true, "completed", []],
    ]);
  });
});
