// Graph analysis and static cost over a resolved program (DESIGN §3: after type checking, before lowering).
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Program } from "../semantic/program.js";
import { costDiagnostics } from "./cost.js";
import { analyzeGraph } from "./graph.js";

export { analyzeGraph } from "./graph.js";
export * from "./graph-model.js";
export { fieldReducer, nodeWrites, type Reducer } from "./graph.js";
export { graphCost, graphCostDetail, costDiagnostics, explainCost, formatCost, classifierHooks, sameClassifierHooks, type ClassifierHook, type CostBound, type CostOptions, type GraphCostDetail, type NodeCost } from "./cost.js";
export { graphToMermaid, graphToDot } from "./export.js";

/** Every graph of every module: the graph checks, then AWR7001 where the cost is unbounded. */
export function analyzeProgram(program: Program): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [file, m] of program.modules)
    for (const d of m.ast.decls)
      if (d.kind === "GraphDecl" && d.name.name) out.push(...analyzeGraph(program, file, d), ...costDiagnostics(program, file, d));
  return out;
}
