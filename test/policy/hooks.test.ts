// Every outcome at every hook, on a compiled program run by the VM: before/after model (prompt
// calls and each turn of an agent's loop), before/after tool, before/after agent, before/after
// output. Each decision shows up in the audit log naming its rule.
import { describe, expect, it } from "vitest";
import type { AuditRecord, ModelRequest } from "../../vm/types.js";
import { MODELS, PRINCIPAL, harness } from "./helpers.js";

const EMAIL = "ann.lee@example.com";

// n1: a prompt on model m; n2: a tool; n3: an agent on model am that calls the tool once, then answers.
const PROGRAM = `${MODELS}
tool lookup(q: string) -> string { impl: js("./t.mjs#lookup") tags: [crm.read] }
prompt summarize(text: string) -> string { model: m user #"Summarize {{ text }}"# }
agent helper(q: string) -> string { model: am tools: [lookup] goal: "Answer" }
graph g(email: string) -> string {
  state { s: string?, t: string?, a: string? }
  node n1 { run summarize(text: email) -> s }
  node n2 { run lookup(q: email) -> t }
  node n3 { run helper(q: email) -> a }
  edge start -> n1
  edge n1 -> n2
  edge n2 -> n3
  edge n3 -> end
  return s! + " | " + t! + " | " + a!
}
`;

/** The prompt echoes its input; the agent calls lookup in its first turn and echoes in the second. */
function model(req: ModelRequest, _n: number) {
  if (req.caller === "helper") {
    const turn = req.messages.filter((m) => m.role === "assistant").length;
    if (turn === 0) return { output: "", toolCalls: [{ id: "c1", name: "lookup", arguments: JSON.stringify({ q: EMAIL }) }] };
    return { output: `agent answer for ${EMAIL}` };
  }
  return { output: `summary of ${EMAIL}` };
}

type Hook = { phase: "before" | "after"; target: "model" | "tool" | "agent" | "output" };
const HOOKS: Hook[] = [
  { phase: "before", target: "model" },
  { phase: "after", target: "model" },
  { phase: "before", target: "tool" },
  { phase: "after", target: "tool" },
  { phase: "before", target: "agent" },
  { phase: "after", target: "agent" },
  { phase: "before", target: "output" },
  { phase: "after", target: "output" },
];

const run = async (rule: string, hook: Hook) => {
  const h = harness(`${PROGRAM}\npolicy p {\n  ${hook.phase} ${hook.target} { ${rule} }\n}\n`, { model });
  const r = await h.rt.start("g", { email: EMAIL }, { principal: PRINCIPAL });
  const mine = r.observed.audit.filter((a) => a.kind === "policy" && a.hook === `${hook.phase} ${hook.target}`);
  return { h, r, mine };
};

const RULE = "policy:p/hook:0/rule:0";

describe.each(HOOKS)("$phase $target", (hook) => {
  it("allow: the run completes and each decision is recorded with the rule", async () => {
    const { r, mine } = await run(`allow because "fine"`, hook);
    expect(r.status).toBe("completed");
    expect(mine.length).toBeGreaterThan(0);
    for (const a of mine) expect(a).toMatchObject({ policy: "p", rule: RULE, outcome: "allow", reason: "fine", principal: PRINCIPAL, runId: r.runId });
  });

  it("deny: the run fails with a policy failure naming the rule; the audit log has the deny", async () => {
    const { h, r, mine } = await run(`deny because "not here"`, hook);
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("policy");
    expect(r.error?.message).toContain(RULE);
    expect(r.error?.message).toContain("not here");
    expect(mine.some((a) => a.outcome === "deny" && a.rule === RULE && a.reason === "not here")).toBe(true);
    // A before-hook deny stops the call before it happens.
    if (hook.phase === "before" && hook.target === "model") expect(h.modelCalls).toHaveLength(0);
    if (hook.phase === "before" && hook.target === "tool") expect(h.toolCalls.filter((c) => c.tool === "lookup")).toHaveLength(0);
    if (hook.phase === "before" && hook.target === "agent") expect(h.modelCalls.filter((c) => c.caller === "helper")).toHaveLength(0);
  });

  it("redact: email addresses are replaced and the redacted paths recorded", async () => {
    const { h, r, mine } = await run(`redact email`, hook);
    const reds = mine.filter((a) => a.outcome === "redact");
    expect(reds.length).toBeGreaterThan(0);
    expect(reds.flatMap((a) => a.redacted ?? []).every((x) => x.kind === "email" && x.path.startsWith("$"))).toBe(true);
    expect(reds.some((a) => (a.redacted ?? []).length > 0)).toBe(true);
    if (hook.phase === "before" && hook.target === "model") {
      // The model never sees the address.
      for (const c of h.modelCalls) expect(JSON.stringify(c.messages)).not.toContain(EMAIL);
      expect(reds[0]!.redacted).toContainEqual({ path: "$.messages[0].content", kind: "email" });
    }
    if (hook.phase === "before" && hook.target === "tool") {
      expect(h.toolCalls.length).toBeGreaterThan(0);
      for (const c of h.toolCalls) expect(c.args).toEqual({ q: "[REDACTED:email]" });
      expect(reds[0]!.redacted).toEqual([{ path: "$.q", kind: "email" }]);
    }
    expect(r.status).toBe("completed");
    const out = String(r.output);
    if (hook.target === "output") expect(out).not.toContain(EMAIL);
    if (hook.phase === "after" && hook.target === "model") expect(out).toBe("summary of [REDACTED:email] | found {\"q\":\"ann.lee@example.com\"} | agent answer for [REDACTED:email]");
    if (hook.phase === "after" && hook.target === "tool") expect(out.split(" | ")[1]).toBe('found {"q":"[REDACTED:email]"}');
    if (hook.phase === "after" && hook.target === "agent") expect(out.split(" | ")[2]).toBe("agent answer for [REDACTED:email]");
  });

  if (hook.phase === "before") {
    it("approve: the run suspends, and resumes when approved (denied when refused)", async () => {
      const { h, r, mine } = await run(`approve because "a human decides"`, hook);
      expect(r.status).toBe("suspended");
      expect(r.pending?.[0]).toMatchObject({ kind: "approval", reason: "a human decides" });
      expect(mine).toEqual([expect.objectContaining({ outcome: "approve", rule: RULE, reason: "a human decides (waiting for approval)" })]);
      const stored = (await h.store.audit({ runId: r.runId })).filter((a) => a.outcome === "approve");
      expect(stored).toHaveLength(1);

      // Approve every request until the run completes (an agent's two turns ask twice).
      let o = await h.rt.resume(r.runId, true);
      for (let i = 0; i < 5 && o.status === "suspended"; i++) o = await h.rt.resume(r.runId, { approved: true });
      expect(o.status).toBe("completed");
      const after = h.store.audit({ runId: r.runId }).filter((a) => a.rule === RULE);
      expect(after.some((a) => a.outcome === "approve" && a.reason === "a human decides (approved)")).toBe(true);

      const refused = await run(`approve because "a human decides"`, hook);
      const no = await refused.h.rt.resume(refused.r.runId, false);
      expect(no.status).toBe("failed");
      expect(no.error?.kind).toBe("policy");
      expect(no.error?.message).toContain("was not approved");
      expect(refused.h.store.audit({ runId: refused.r.runId }).some((a: AuditRecord) => a.outcome === "deny" && a.reason === "a human decides (not approved)")).toBe(true);
    });
  }
});

describe("model hooks see every model call", () => {
  it("each turn of an agent loop passes before and after model (selected by the model's name)", async () => {
    const h = harness(`${PROGRAM}\npolicy p {\n  before model am { allow }\n  after model am { redact email }\n}\n`, { model });
    const r = await h.rt.start("g", { email: EMAIL }, { principal: PRINCIPAL });
    expect(r.status).toBe("completed");
    const turns = h.modelCalls.filter((c) => c.model === "am").length;
    expect(turns).toBe(2);
    const audit = r.observed.audit.filter((a) => a.target === "am");
    expect(audit.filter((a) => a.hook === "before model")).toHaveLength(turns);
    expect(audit.filter((a) => a.hook === "after model")).toHaveLength(turns);
    // The prompt's model m is not selected: it has no policy record.
    expect(r.observed.audit.filter((a) => a.target === "m" && a.kind === "policy")).toHaveLength(0);
  });

  it("conditions of a model hook see the text sent and the text answered", async () => {
    const h = harness(
      `${PROGRAM}\npolicy p {\n  before model { deny when contains(input.text, "forbidden") because "prompt filter" }\n  after model { deny when contains(output.text, "secret") because "answer filter" }\n}\n`,
      { model: (req, n) => (req.caller === "summarize" ? { output: "the secret plan" } : model(req, n)) },
    );
    const r1 = await h.rt.start("g", { email: "forbidden@example.com" });
    expect(r1.error?.message).toContain("prompt filter");
    const r2 = await h.rt.start("g", { email: EMAIL });
    expect(r2.error?.message).toContain("answer filter");
  });

  it("conditions of a model hook see the caller, the messages and the answer's value", async () => {
    const h = harness(
      `${PROGRAM}\npolicy p {\n  before model { deny when input.caller == "helper" && len(input.messages) > 2 because "one tool round only" }\n  after model { deny when input.caller == "summarize" && output.value == "" because "empty summary" }\n}\n`,
      { model: (req, n) => (req.caller === "summarize" ? { output: "" } : model(req, n)) },
    );
    const r1 = await h.rt.start("g", { email: EMAIL });
    expect(r1.error?.message).toContain("empty summary");
    const h2 = harness(`${PROGRAM}\npolicy p {\n  before model { deny when input.caller == "helper" && len(input.messages) > 2 because "one tool round only" }\n}\n`, { model });
    const r2 = await h2.rt.start("g", { email: EMAIL });
    // The agent's second turn carries the tool round (system, user, assistant, tool): denied.
    expect(r2.error?.message).toContain("one tool round only");
  });
});
