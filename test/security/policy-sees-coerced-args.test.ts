// Policy bypass by the model (issue 12): policies used to judge a tool call's arguments as the model
// sent them, while the tool received them after coercion and defaults. `{"force": "true"}` passed
// `deny when input.force == true` and the tool got `true`; `"priority": "1"` passed
// `input.priority in [1, 2]`; an omitted argument whose default is `true` passed
// `deny when input.recursive == true`. Now the arguments are coerced, defaulted and validated once,
// before the hooks: the decision on any encoding equals the decision on the canonical value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json } from "../../vm/types.js";
import { MODELS, harness } from "../policy/helpers.js";

const SOURCE = `${MODELS}
tool wipe(path: string, force: bool = false, recursive: bool = true, priority: int = 3) -> string { impl: js("./t.mjs#wipe") }
agent janitor(q: string) -> string { model: am tools: [wipe] goal: "Clean up" }
policy safety {
  before tool wipe {
    deny when input.force == true because "no forced wipes"
    deny when input.recursive == true because "no recursive wipes"
    deny when input.priority in [1, 2] because "no urgent wipes"
  }
}
graph clean(q: string) -> string {
  state { r: string? }
  node n { run janitor(q: q) -> r }
  edge start -> n
  edge n -> end
  return r ?? ""
}
`;

/** Runs the agent once with the model asking for `wipe(args)`; what the tool got and the audit's decision. */
async function attempt(args: Record<string, unknown>) {
  const h = harness(SOURCE, {
    model: (req) => (req.messages.some((m) => m.role === "tool") ? { output: "done" } : { output: "", toolCalls: [{ id: "c1", name: "wipe", arguments: JSON.stringify(args) }] }),
    tool: () => "wiped",
  });
  const r = await h.rt.start("clean", { q: "tidy" }, { principal: { id: "u", roles: [], attrs: {} } });
  const decisions = h.store
    .audit({ runId: r.runId, kind: "policy" })
    .filter((a) => a.outcome === "deny")
    .map((a) => a.rule);
  return { received: h.toolCalls.map((c) => c.args), denied: decisions };
}

describe("before-tool policies judge the arguments the tool receives", () => {
  it('a string "true" for a bool is denied like true', async () => {
    const a = await attempt({ path: "/tmp/x", force: "true", recursive: false });
    expect(a.received).toEqual([]);
    expect(a.denied.length).toBeGreaterThan(0);
  });

  it('a string "1" for an int is denied by `in [1, 2]`', async () => {
    const a = await attempt({ path: "/tmp/x", recursive: false, priority: "1" });
    expect(a.received).toEqual([]);
    expect(a.denied.length).toBeGreaterThan(0);
  });

  it("an omitted argument whose default is true is denied like true", async () => {
    const a = await attempt({ path: "/tmp/x" });
    expect(a.received).toEqual([]);
    expect(a.denied.length).toBeGreaterThan(0);
  });

  it("an allowed call reaches the tool with the canonical value the policy saw", async () => {
    const a = await attempt({ path: "/tmp/x", force: "false", recursive: "false", priority: "7" });
    expect(a.denied).toEqual([]);
    expect(a.received).toEqual([{ path: "/tmp/x", force: false, recursive: false, priority: 7 }]);
  });

  it("arguments that cannot be coerced fail before any policy runs or the tool is called", async () => {
    const a = await attempt({ path: "/tmp/x", force: "maybe", recursive: false });
    expect(a.received).toEqual([]);
    expect(a.denied).toEqual([]);
  });

  it("for random encodings of the same arguments, the decision equals the decision on the canonical value (property)", async () => {
    const canonical = fc.record({ force: fc.boolean(), recursive: fc.boolean(), priority: fc.integer({ min: 0, max: 5 }) });
    // an encoding: each value as itself, as a string, or (when it equals its default) omitted; plus an extra field
    const encode = (v: { force: boolean; recursive: boolean; priority: number }) =>
      fc
        .tuple(fc.constantFrom("raw", "string", "omit"), fc.constantFrom("raw", "string", "omit"), fc.constantFrom("raw", "string", "omit"), fc.boolean())
        .map(([ef, er, ep, extra]) => {
          const out: Record<string, unknown> = { path: "/tmp/x" };
          const put = (k: string, value: boolean | number, dflt: boolean | number, how: string) => {
            if (how === "omit" && value === dflt) return;
            out[k] = how === "string" ? String(value) : value;
          };
          put("force", v.force, false, ef);
          put("recursive", v.recursive, true, er);
          put("priority", v.priority, 3, ep);
          if (extra) out["note"] = "ignored";
          return { canonical: { path: "/tmp/x", ...v } as Record<string, Json>, encoded: out, extra };
        });
    await fc.assert(
      fc.asyncProperty(canonical.chain(encode), async ({ canonical: c, encoded, extra }) => {
        const [onCanonical, onEncoded] = [await attempt(c), await attempt(encoded)];
        if (extra) {
          // a field the tool does not declare: refused as a schema failure before any policy
          expect(onEncoded).toEqual({ received: [], denied: [] });
          return;
        }
        expect(onEncoded.denied).toEqual(onCanonical.denied);
        expect(onEncoded.received).toEqual(onCanonical.received);
      }),
      { numRuns: 150, seed: 20261206 },
    );
  }, 60_000);
});
