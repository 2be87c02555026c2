import { expect } from "vitest";
import { hasErrors } from "../../compiler/diagnostics/diagnostic.js";
import { lowerProgram } from "../../compiler/lower/index.js";
import { PlanSchema, type Plan } from "../../compiler/plan/types.js";
import { loadProgram } from "../../compiler/semantic/load.js";
import type { SourceHost } from "../../compiler/semantic/program.js";

/** An in-memory host over `files` (ids are the map keys; imports resolve by id). */
export function memoryHost(files: Record<string, string>): SourceHost {
  return {
    read: (file) => files[file],
    resolve: (spec) => spec.replace(/^\.\//, ""),
  };
}

/** Parses and loads `files` (entry first), lowers them and checks the plan against the schema. */
export function lowerSources(files: Record<string, string>, entry = Object.keys(files)[0]!): Plan {
  const { program, diagnostics } = loadProgram([entry], memoryHost(files));
  expect(hasErrors(diagnostics) ? diagnostics.map((d) => `${d.code} ${d.message}`) : []).toEqual([]);
  const plan = lowerProgram(program, { compilerVersion: "0.1.0-test" });
  const valid = PlanSchema.safeParse(plan);
  expect(valid.success ? [] : valid.error.issues.slice(0, 3)).toEqual([]);
  return plan;
}
