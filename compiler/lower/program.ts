import type { Decl } from "../syntax/ast.js";
import type { Program } from "../semantic/program.js";
import { PLAN_FORMAT } from "../plan/format.js";
import type { Plan } from "../plan/types.js";
import { LowerCtx } from "./context.js";
import { lowerAgent, lowerContext, lowerModel, lowerPrompt, lowerTool } from "./decls.js";
import { lowerGraph } from "./graph.js";
import { lowerPolicy } from "./policy.js";
import { namedTypeSchema } from "./schema.js";
import { lowerTest } from "./tests.js";

export interface LowerOptions {
  compilerVersion: string;
}

/**
 * The plan of a checked program. Runs only on programs without errors, but never throws on odd
 * input: what it cannot read it leaves out or sets to null. Declarations appear in load order
 * (modules as `program.modules` lists them, declarations in source order); a duplicated name keeps
 * the declaration `program.globals` chose.
 */
export function lowerProgram(program: Program, opts: LowerOptions): Plan {
  const plan: Plan = {
    format: PLAN_FORMAT,
    compiler: opts.compilerVersion,
    entry: [...program.entries],
    types: {},
    models: {},
    tools: {},
    prompts: {},
    agents: {},
    contexts: {},
    policies: {},
    graphs: {},
    tests: {},
  };
  const base = new LowerCtx(program, program.entries[0] ?? "");
  for (const [file, mod] of program.modules) {
    const ctx = base.in(file);
    for (const d of mod.ast.decls) {
      const name = d.name.name;
      if (!name || program.globals.get(name)?.decl !== d) continue;
      lowerDecl(ctx, plan, name, d);
    }
  }
  return plan;
}

function lowerDecl(ctx: LowerCtx, plan: Plan, name: string, d: Decl): void {
  switch (d.kind) {
    case "TypeDecl":
    case "EnumDecl":
      plan.types[name] = namedTypeSchema(ctx, name);
      return;
    case "ModelDecl":
      plan.models[name] = lowerModel(ctx, d);
      return;
    case "ToolDecl":
      plan.tools[name] = lowerTool(ctx, d);
      return;
    case "PromptDecl":
      plan.prompts[name] = lowerPrompt(ctx, d);
      return;
    case "AgentDecl":
      plan.agents[name] = lowerAgent(ctx, d);
      return;
    case "ContextDecl":
      plan.contexts[name] = lowerContext(ctx, d);
      return;
    case "PolicyDecl":
      plan.policies[name] = lowerPolicy(ctx, d);
      return;
    case "GraphDecl":
      plan.graphs[name] = lowerGraph(ctx, d);
      return;
    case "TestDecl":
      plan.tests[name] = lowerTest(ctx, d);
      return;
  }
}
