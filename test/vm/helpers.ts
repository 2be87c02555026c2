import { compile } from "../../compiler/compile.js";
import type { Plan } from "../../compiler/plan/index.js";
import { memoryHost } from "../helpers/memory-host.js";

/** Compiles a one-file program; fails the test with the rendered diagnostics when it has errors. */
export function planOf(source: string, files: Record<string, string> = {}): Plan {
  const r = compile(["main.awr"], memoryHost({ "main.awr": source, ...files }), { plan: true });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !r.plan) throw new Error(`does not compile:\n${errors.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  return r.plan;
}
