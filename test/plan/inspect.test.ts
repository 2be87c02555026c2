import { describe, expect, it } from "vitest";
import { planToText } from "../../compiler/plan/inspect.js";
import { expectGolden } from "../helpers/golden.js";
import { samplePlan } from "./sample-plan.js";

const golden = (name: string) => new URL(`./golden/${name}`, import.meta.url).pathname;

describe("planToText", () => {
  it("prints the sample plan", () => {
    expectGolden(golden("sample.plan.txt"), planToText(samplePlan()));
  });
});

describe("exprText uses the grammar's precedence", () => {
  const ref = (name: string) => ({ k: "ref" as const, name });
  it("?? binds tighter than comparisons, looser than arithmetic", async () => {
    const { exprText } = await import("../../compiler/plan/inspect.js");
    expect(exprText({ k: "binary", op: "!=", left: { k: "binary", op: "??", left: ref("a"), right: ref("b") }, right: ref("c") })).toBe("a ?? b != c");
    expect(exprText({ k: "binary", op: "??", left: ref("a"), right: { k: "binary", op: "!=", left: ref("b"), right: ref("c") } })).toBe("a ?? (b != c)");
    expect(exprText({ k: "binary", op: "??", left: ref("a"), right: { k: "binary", op: "+", left: ref("b"), right: ref("c") } })).toBe("a ?? b + c");
  });
});

describe("tool sandbox grants and concurrency", () => {
  it("are printed when declared, and absent otherwise", async () => {
    const { planOf } = await import("../vm/helpers.js");
    const plan = planOf(`
tool crm(id: string) -> string {
  impl: js("./tools/crm.mjs#lookup")
  timeout: 2s
  concurrency: 4
  allow: { read: ["./data", "./fixtures"], env: ["CRM_TOKEN"] }
}
tool plain(id: string) -> string { impl: js("./tools/crm.mjs#plain") timeout: 2s }
graph g(id: string) -> string {
  state { a: string?, b: string? }
  node one { run crm(id: id) -> a  run plain(id: id) -> b }
  edge start -> one
  edge one -> end
  return a! + b!
}`);
    const text = planToText(plan);
    expect(text).toContain("timeout 2s · rate - · idempotent false · concurrency 4\n  allow read ./data, ./fixtures · env CRM_TOKEN\n");
    const plainBlock = text.slice(text.indexOf("tool plain"));
    expect(plainBlock.split("\n\n")[0]).not.toMatch(/concurrency|allow/);
  });
});
