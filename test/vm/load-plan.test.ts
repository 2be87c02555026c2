import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { compile } from "../../compiler/compile.js";
import { encodePlan } from "../../compiler/plan/index.js";
import { FileHost } from "../../host/source-host.js";
import { loadPlan, PlanError } from "../../vm/index.js";

const ROOT = resolve(import.meta.dirname, "..", "..");

describe("awr/vm loadPlan", () => {
  const plan = compile([join(ROOT, "examples", "support-triage", "main.awr")], new FileHost(), { plan: true }).plan!;
  const bytes = encodePlan(plan);

  it("reads back what the compiler wrote", () => {
    expect(loadPlan(bytes)).toEqual(plan);
  });

  it("rejects a corrupted file with a PlanError, not a crash", () => {
    const bad = bytes.slice();
    bad[bad.length - 10]! ^= 0xff;
    expect(() => loadPlan(bad)).toThrow(PlanError);
  });
});
