// The names the language puts in scope, per declaration kind, beside the declaration's own
// parameters and state fields: a prompt's `output_format` and `context`, a compensation's `result`,
// an `on error` handler's `error`, a policy rule's `input`/`principal`/`tool`/`output`, a test's
// `status`/`output`/`state`/`error`. The checker types expressions against these, and the editor
// (lsp/scope-at.ts) shows the same names with the same types — one definition, so the two cannot drift.
import * as A from "../syntax/ast.js";
import { FAILURE_KINDS } from "../plan/vocabulary.js";
import type { CheckContext } from "../semantic/scope.js";
import * as Ty from "../semantic/types.js";

/** A built-in name in scope and its type. */
export type Binding = readonly [name: string, ty: Ty.Ty];

const literalUnion = (values: readonly string[]): Ty.Ty => ({ k: "union", members: values.map((value) => ({ k: "literal", value }) as Ty.Ty) });

/** A failure as a test's `error` and an `on error` handler's `error` see it. */
export const FAILURE_RECORD: Ty.Ty = Ty.record([
  { name: "kind", ty: literalUnion(FAILURE_KINDS), optional: false },
  { name: "message", ty: Ty.STRING, optional: false },
  { name: "step", ty: Ty.optional(Ty.STRING), optional: true },
]);

/** The run's principal as policy rules see it. */
export const PRINCIPAL: Ty.Ty = Ty.record([
  { name: "id", ty: Ty.STRING, optional: false },
  { name: "roles", ty: Ty.list(Ty.STRING), optional: false },
  { name: "attrs", ty: { k: "map", of: Ty.STRING }, optional: false },
]);

/** A test's `principal { ... }`: roles and attrs may be left out (empty). */
export const TEST_PRINCIPAL: Ty.Ty = Ty.record([
  { name: "id", ty: Ty.STRING, optional: false },
  { name: "roles", ty: Ty.list(Ty.STRING), optional: true },
  { name: "attrs", ty: { k: "map", of: Ty.STRING }, optional: true },
]);

/** How a run ended, as a test's `status` sees it. */
export const RUN_STATUS: Ty.Ty = literalUnion(["completed", "failed", "suspended", "needs_attention"]);

/** One decision of a policy, as a test's `audit(policy)` lists them. */
export const AUDIT_RECORD: Ty.Ty = Ty.record([
  { name: "rule", ty: Ty.STRING, optional: false },
  { name: "outcome", ty: Ty.STRING, optional: false },
  { name: "step", ty: Ty.STRING, optional: false },
]);

/** The tool a policy rule guards, as `tool` (its name and tags). */
const TOOL_INFO: Ty.Ty = Ty.record([
  { name: "name", ty: Ty.STRING, optional: false },
  { name: "tags", ty: Ty.list(Ty.STRING), optional: false },
]);

/** A prompt's templates: `output_format`, and `context` when the prompt has one. */
export function promptBindings(hasContext: boolean): Binding[] {
  return [["output_format", Ty.STRING], ...(hasContext ? ([["context", Ty.STRING]] as const) : [])];
}

/** An agent's instructions: `output_format`. */
export const AGENT_BINDINGS: readonly Binding[] = [["output_format", Ty.STRING]];

/** A tool's `compensate` call: the tool's `result` (its declared return type). */
export function compensateBindings(result: Ty.Ty): Binding[] {
  return [["result", result]];
}

/** A graph node reached through `on error`: `error` (optional when ordinary edges reach it too). */
export function onErrorBindings(via: "only" | "also"): Binding[] {
  return [["error", via === "only" ? FAILURE_RECORD : Ty.optional(FAILURE_RECORD)]];
}

/**
 * A policy hook's rules: `input`, `principal`, `tool`, and `output` after the call. `target` is the
 * declaration the hook's selector names (resolved by the caller), if any; it types input and output.
 */
export function hookBindings(ctx: CheckContext, h: A.PolicyHook, target: A.Decl | undefined, targetFile: string): { input: Ty.Ty; output: Ty.Ty; bindings: Binding[] } {
  let input: Ty.Ty = Ty.ANY;
  let output: Ty.Ty = Ty.ANY;
  if (h.selector?.kind === "name" && target && (target.kind === "ToolDecl" || target.kind === "AgentDecl" || target.kind === "GraphDecl")) {
    input = Ty.record(target.params.map((p) => ctx.fieldTy(targetFile, p, false)));
    output = target.returns ? ctx.typeOf(targetFile, target.returns, false) : Ty.ANY;
    if (target.kind === "GraphDecl") input = Ty.ANY;
  }
  if (h.target === "model") {
    // What the VM passes (docs/policies.md § Hooks): the model, the prompt or agent calling it,
    // the messages joined, and the messages; after the call the answer's text and value.
    const message = Ty.record([
      { name: "role", ty: Ty.STRING, optional: false },
      { name: "content", ty: Ty.STRING, optional: false },
    ]);
    input = Ty.record([
      { name: "model", ty: Ty.STRING, optional: false },
      { name: "caller", ty: Ty.STRING, optional: false },
      { name: "text", ty: Ty.STRING, optional: false },
      { name: "messages", ty: Ty.list(message), optional: false },
    ]);
    output = Ty.record([
      { name: "text", ty: Ty.STRING, optional: false },
      { name: "value", ty: Ty.ANY, optional: false },
    ]);
  }
  const bindings: Binding[] = [
    ["input", input],
    ["principal", PRINCIPAL],
    ["tool", TOOL_INFO],
  ];
  if (h.phase === "after") bindings.push(["output", output]);
  return { input, output, bindings };
}

/**
 * A test's expectations: `status`, `output` and `state` of the graph it runs (`graph`, when the
 * run names one), and `error`. Reading output or error of a run that has none fails the expectation
 * at run time, so they are typed as present.
 */
export function testBindings(ctx: CheckContext, graph: { decl: A.GraphDecl; file: string } | undefined): Binding[] {
  const state = graph ? Ty.record(A.graphState(graph.decl).map((f) => ctx.fieldTy(graph.file, f, false))) : Ty.ANY;
  const output = graph?.decl.returns ? ctx.typeOf(graph.file, graph.decl.returns, false) : Ty.ANY;
  return [
    ["status", RUN_STATUS],
    ["output", output],
    ["state", state],
    ["error", FAILURE_RECORD],
  ];
}
