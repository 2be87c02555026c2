// A compiled program on a runtime with scripted models and recording tools (no network).
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { ChatMessage, Json, ModelProvider, ModelRequest, ModelResponse, ToolProvider } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import { planOf } from "../vm/helpers.js";

export interface Harness {
  rt: ReturnType<typeof createRuntime>;
  store: EmbeddedStore;
  /** Every tool call the provider received. */
  toolCalls: { tool: string; args: Record<string, Json> }[];
  /** Every model request the provider received. */
  modelCalls: { model: string; caller: string; messages: ChatMessage[] }[];
}

export interface HarnessOptions {
  store?: EmbeddedStore;
  principal?: Json;
  /** The answer of a tool (default: `found <args as JSON>`). */
  tool?: (tool: string, args: Record<string, Json>) => Json;
  /** The answer of a model call (default: echo of the last message). */
  model?: (req: ModelRequest, n: number) => Partial<ModelResponse>;
}

export function harness(source: string, opts: HarnessOptions = {}): Harness {
  const plan = planOf(source);
  const store = opts.store ?? new MemoryStore();
  const toolCalls: Harness["toolCalls"] = [];
  const modelCalls: Harness["modelCalls"] = [];
  const tools: ToolProvider = {
    async call(req) {
      toolCalls.push({ tool: req.tool, args: req.args });
      return opts.tool ? opts.tool(req.tool, req.args) : `found ${JSON.stringify(req.args)}`;
    },
  };
  const models: ModelProvider = {
    async call(req) {
      modelCalls.push({ model: req.model, caller: req.caller, messages: req.messages });
      const r = opts.model ? opts.model(req, modelCalls.length - 1) : { output: `echo: ${req.messages[req.messages.length - 1]!.content}` };
      return { output: r.output ?? "", usage: { input: 10, output: 5 }, costUsd: 0, ...r };
    },
  };
  const rt = createRuntime({ plan, store, models, tools, instant: true });
  return { rt, store, toolCalls, modelCalls };
}

export const MODELS = `
model m { provider: "openai" name: "x" timeout: 5s max_tokens: 100 }
model am { provider: "openai" name: "y" timeout: 5s max_tokens: 100 }
`;

export const PRINCIPAL = { id: "u-1", roles: ["support"], attrs: {} };
