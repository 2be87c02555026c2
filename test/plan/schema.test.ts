import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanSchema } from "../../compiler/plan/types.js";
import { samplePlan } from "./sample-plan.js";

const firstIssue = (body: unknown) => {
  const r = PlanSchema.safeParse(body);
  expect(r.success).toBe(false);
  return r.error!.issues[0]!;
};

describe("plan schema", () => {
  it("accepts the sample plan", () => {
    expect(PlanSchema.parse(samplePlan())).toStrictEqual(samplePlan());
  });

  it("rejects a missing section", () => {
    const { graphs: _, ...rest } = samplePlan();
    expect(firstIssue(rest).path).toEqual(["graphs"]);
  });

  it("rejects a wrong field type deep inside", () => {
    const p = samplePlan();
    (p.models.fast as { timeout_ms: unknown }).timeout_ms = "30s";
    expect(firstIssue(p).path).toEqual(["models", "fast", "timeout_ms"]);
  });

  it("rejects an unknown expression kind and an unknown key", () => {
    const p = samplePlan();
    (p.graphs.flow as { return: unknown }).return = { k: "eval", code: "1+1" };
    expect(firstIssue(p).path).toEqual(["graphs", "flow", "return", "k"]);
    const q = samplePlan();
    (q.tools.refund as Record<string, unknown>).secret = "x";
    expect(firstIssue(q).message).toMatch(/secret/);
  });

  it("rejects an unknown reducer", () => {
    const p = samplePlan();
    (p.graphs.flow.state[1] as { reducer: string }).reducer = "concat";
    expect(firstIssue(p).path).toEqual(["graphs", "flow", "state", 1, "reducer"]);
  });

  it("exports as JSON Schema (for tools outside TypeScript)", () => {
    const js = z.toJSONSchema(PlanSchema, { unrepresentable: "any", cycles: "ref" }) as Record<string, unknown>;
    expect(js.type).toBe("object");
    expect(Object.keys(js.properties as object)).toContain("graphs");
  });
});
