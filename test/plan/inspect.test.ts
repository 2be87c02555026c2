import { describe, it } from "vitest";
import { planToText } from "../../compiler/plan/inspect.js";
import { expectGolden } from "../helpers/golden.js";
import { samplePlan } from "./sample-plan.js";

const golden = (name: string) => new URL(`./golden/${name}`, import.meta.url).pathname;

describe("planToText", () => {
  it("prints the sample plan", () => {
    expectGolden(golden("sample.plan.txt"), planToText(samplePlan()));
  });
});
