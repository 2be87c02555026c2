// A small graph with a priced model chain, a prompt, a tool and a sub-graph, and providers that
// answer it (a model provider pricing like the gateway, from the plan's price table).
import { costOf } from "../../../vm/gateway/cost.js";
import { VmFailure, type Json, type ModelProvider, type ModelRequest, type ToolProvider } from "../../../vm/types.js";
import { planOf } from "../../vm/helpers.js";

export const SOURCE = `
model primary { provider: "openai" name: "gpt-primary" timeout: 5s temperature: 0 max_tokens: 200 fallback: [backup] price { input: 2.0, output: 8.0 } }
model backup { provider: "anthropic" name: "claude-backup" timeout: 5s price { input: 1.0, output: 4.0 } }
enum Level { low, high }
prompt rate(text: string) -> Level { model: primary user #"Rate this: {{ text }}"# }
tool notify(msg: string) -> bool { impl: js("./t.mjs#notify") timeout: 1s }
graph inner(msg: string) -> bool {
  state { sent: bool? }
  node send { run notify(msg: msg) -> sent }
  edge start -> send
  edge send -> end
  return sent!
}
graph triage(text: string) -> string {
  state { level: Level?, sent: bool? }
  node classify { run rate(text: text) -> level }
  node act { run inner(msg: "level is set") -> sent }
  edge start -> classify
  edge classify -> act
  edge act -> end
  return "done"
}`;

export const plan = () => planOf(SOURCE);

/** Answers "high" with 12 input and 3 output tokens; `failing` model names throw a transport failure. */
export function models(failing: Set<string> = new Set()) {
  const calls: ModelRequest[] = [];
  const provider: ModelProvider = {
    async call(req) {
      calls.push(req);
      if (failing.has(req.model)) throw new VmFailure({ kind: "transport", message: `${req.model} is down`, retryable: true });
      const usage = { input: 12, output: 3 };
      return { output: "high", usage, costUsd: costOf(req.plan.price, usage) };
    },
  };
  return { provider, calls };
}

export function tools(answer: (tool: string, args: Record<string, Json>) => Json = () => true) {
  const calls: string[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push(req.tool);
      return answer(req.tool, req.args);
    },
  };
  return { provider, calls };
}
