// The tool registry: the plan's `tools` table read as what callers need to know about each tool —
// its contract (JSON Schema in/out, description, tags), its limits (timeout, rate, concurrency),
// its durability (idempotent, compensation), how it runs, and its qualified name: MCP tools are
// namespaced by server (`github.create_issue`), the name events and audit records can show next to
// the declared one. `Tools.call` (index.ts) is the router that enforces all of it per call.
import { assertNever, type Plan, type ToolPlan } from "../../compiler/plan/index.js";
import { methodAndUrl } from "./http.js";

export interface ToolEntry {
  /** The declared name (what the graph, agents and policies use). */
  name: string;
  description: string | null;
  params: Record<string, unknown>;
  returns: Record<string, unknown>;
  tags: string[];
  impl: ToolPlan["impl"];
  /** `server.tool` for MCP tools; `module#export`, `METHOD url` or the builtin's name otherwise. */
  qualifiedName: string;
  timeoutMs: number | null;
  rate: ToolPlan["rate"];
  concurrency: number | null;
  idempotent: boolean;
  compensate: ToolPlan["compensate"];
  /** What a js tool's sandbox may touch (null: the module's directory only). */
  allow: ToolPlan["allow"] | null;
}

/** The qualified name of a tool: `server.tool` for MCP, else a readable form of its impl. */
export function qualifiedToolName(name: string, plan: Pick<ToolPlan, "impl">): string {
  const impl = plan.impl;
  if (!impl) return name;
  switch (impl.kind) {
    case "mcp":
      return `${impl.server}.${impl.tool}`;
    case "js":
      return `${impl.module}#${impl.export}`;
    case "http": {
      const { method, url } = methodAndUrl(impl);
      return `${method} ${url}`;
    }
    case "builtin":
      return impl.name;
    default:
      return assertNever(impl, "tool impl kind");
  }
}

export function toolEntry(name: string, t: ToolPlan): ToolEntry {
  return {
    name,
    description: t.description,
    params: t.params,
    returns: t.returns,
    tags: t.tags,
    impl: t.impl,
    qualifiedName: qualifiedToolName(name, t),
    timeoutMs: t.timeout_ms,
    rate: t.rate,
    concurrency: t.concurrency ?? null,
    idempotent: t.idempotent,
    compensate: t.compensate,
    allow: t.allow ?? null,
  };
}

/** Every tool of a plan, by declared name. */
export function toolRegistry(plan: Pick<Plan, "tools">): Map<string, ToolEntry> {
  const out = new Map<string, ToolEntry>();
  for (const [name, t] of Object.entries(plan.tools)) out.set(name, toolEntry(name, t));
  return out;
}
