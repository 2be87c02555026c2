import { compile } from "../../compiler/compile.js";
import type { Plan } from "../../compiler/plan/index.js";
import { VmFailure, type ModelProvider, type ToolProvider } from "../../vm/types.js";
import { memoryHost } from "../helpers/memory-host.js";

/** Compiles a one-file program; fails the test with the rendered diagnostics when it has errors. */
export function planOf(source: string, files: Record<string, string> = {}): Plan {
  const r = compile(["main.awr"], memoryHost({ "main.awr": source, ...files }), { plan: true });
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !r.plan) throw new Error(`does not compile:\n${errors.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  return r.plan;
}

/** A model provider for graphs that must not call a model: any call fails (non-retryable), naming its caller. */
/** A graph that waits for a person at once (`meet`): the shortest run that suspends. */
export const WAIT = `
graph meet(x: int) -> string {
  state { who: string? = null }
  node ask { await human("who is it?") -> who }
  edge start -> ask
  edge ask -> end
  return who!
}
`;

export const noModels: ModelProvider = {
  async call(req) {
    throw new VmFailure({ kind: "transport", message: `no model for ${req.caller} in this test`, retryable: false });
  },
};

/** A tool provider for graphs that must not call a tool. */
export const noTools: ToolProvider = {
  async call(req) {
    throw new VmFailure({ kind: "tool", message: `no tool ${req.tool} in this test`, retryable: false });
  },
};
