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
