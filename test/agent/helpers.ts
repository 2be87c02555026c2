// The agent tests' harness: a plan compiled from source, the scripted OpenAI-compatible server of
// test/helpers/fake-openai.ts behind the real OpenAIGateway, a memory store, and a tool provider
// that answers from a function and records every call that reached it.
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../vm/runtime.js";
import { validate } from "../../vm/schema.js";
import { MemoryStore } from "../../vm/store/memory.js";
import type { Json, ToolProvider, VmEvent } from "../../vm/types.js";
import type { EmbeddedStore } from "../../vm/store/index.js";
import type { FakeOpenAI } from "../helpers/fake-openai.js";
import { planOf } from "../vm/helpers.js";

/** The help desk the agent tests run: a resolver with two tools that may hand off to billing. */
export const DESK = `
type Order { id: string, total: float }
type Reply { text: string, refund: float? }
model fast { provider: "openai" name: "gpt-test" timeout: 5s price { input: 1, output: 2 } }
tool lookup_orders(email: string) -> list<Order> {
  description: "Recent orders of a customer"
  impl: builtin("std.time.now")
  tags: [pii.read]
}
tool issue_refund(order_id: string, amount: float) -> string {
  description: "Refund an order"
  impl: builtin("std.time.now")
  tags: [payments.write]
}
agent resolver(email: string, question: string) -> Reply {
  model: fast
  role: "Senior support agent"
  goal: "Resolve the ticket in one reply"
  rules: ["Cite the order id", "Never refund more than the order total"]
  instructions #"Customer {{ email }} asks: {{ question }}"#
  tools: [lookup_orders, issue_refund]
  handoffs: [billing_agent]
  limits { turns: 5, tokens: 100000 }
}
agent billing_agent(email: string, question: string, note: string) -> Reply {
  model: fast
  role: "Billing specialist"
  instructions #"Billing case for {{ email }}: {{ note }}"#
  tools: [issue_refund]
  handoffs: [resolver]
  limits { turns: 3 }
}
graph desk(email: string, question: string) -> Reply {
  state { reply: Reply? }
  node answer { run resolver(email: email, question: question) -> reply }
  edge start -> answer
  edge answer -> end
  return reply!
}
`;

export function recordingTools(answer: (tool: string, args: Record<string, Json>) => Json | Promise<Json>) {
  const calls: { tool: string; args: Record<string, Json>; key: string }[] = [];
  const provider: ToolProvider = {
    async call(req) {
      calls.push({ tool: req.tool, args: req.args, key: req.idempotencyKey });
      return answer(req.tool, req.args);
    },
  };
  return { provider, calls };
}

export interface Desk {
  rt: Runtime;
  store: EmbeddedStore;
  events: VmEvent[];
  tools: ReturnType<typeof recordingTools>;
}

export function desk(
  fake: FakeOpenAI,
  opts: { source?: string; answer?: (tool: string, args: Record<string, Json>) => Json | Promise<Json>; store?: EmbeddedStore } & Partial<Omit<RuntimeOptions, "plan" | "store" | "models" | "tools">> = {},
): Desk {
  const { source, answer, store: given, ...rest } = opts;
  const store = given ?? new MemoryStore();
  const events: VmEvent[] = [];
  const tools = recordingTools(answer ?? defaultAnswer);
  const rt = createRuntime({
    plan: planOf(source ?? DESK),
    store,
    models: new OpenAIGateway({ validate, env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.url } }),
    tools: tools.provider,
    instant: true,
    breakers: false,
    onEvent: (e) => events.push(e),
    ...rest,
  });
  return { rt, store, events, tools };
}

function defaultAnswer(tool: string, args: Record<string, Json>): Json {
  if (tool === "lookup_orders") return [{ id: `O-${String(args["email"]).split("@")[0]}`, total: 40 }];
  if (tool === "issue_refund") return `RF-${String(args["order_id"])}`;
  return null;
}

/** The messages of the i-th request the fake server received. */
export function sent(fake: FakeOpenAI, i: number): { role: string; content: string | null; tool_calls?: any[]; tool_call_id?: string }[] {
  return fake.requests[i]!.body.messages;
}

export const INPUT = { email: "ann@example.com", question: "Where is my refund for my blender?" };
