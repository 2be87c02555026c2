// AST expressions → expression IR. Lowering resolves what the VM cannot know from the plan alone:
// an enum member (`urgent`) becomes its string value, a declaration name (`calls(resolver)`)
// becomes the name as a string, and a duration becomes milliseconds. Every other name is a `ref`
// the VM looks up in the environment of the place the expression runs (docs/plan.md lists them).

import type { Arg, Expr, Field, TemplateLit } from "../syntax/ast.js";
import type { ExprIR, Segment } from "../plan/types.js";
import type { LowerCtx } from "./context.js";

/** Names bound where an expression runs (parameters, state fields, loop variables). */
export type Locals = ReadonlySet<string>;

export function exprToIR(ctx: LowerCtx, e: Expr | undefined, locals: Locals): ExprIR {
  if (!e) return { k: "lit", v: null };
  const go = (x: Expr): ExprIR => exprToIR(ctx, x, locals);
  switch (e.kind) {
    case "String":
    case "Number":
    case "Bool":
      return { k: "lit", v: e.value };
    case "Null":
    case "ErrorExpr":
      return { k: "lit", v: null };
    case "Duration":
      return { k: "lit", v: e.ms };
    case "Template":
      return { k: "template", segments: templateSegments(ctx, e, locals) };
    case "Name":
      if (locals.has(e.name)) return { k: "ref", name: e.name };
      if (ctx.isEnumMember(e.name)) return { k: "lit", v: e.name };
      if (ctx.sym(e.name)) return { k: "lit", v: e.name };
      return { k: "ref", name: e.name };
    case "Member": {
      // `Priority.urgent`: an enum member written with its enum.
      if (e.object.kind === "Name" && !locals.has(e.object.name) && ctx.decl(e.object.name, "EnumDecl")) {
        return { k: "lit", v: e.name.name };
      }
      return { k: "member", obj: go(e.object), name: e.name.name, optional: e.optional };
    }
    case "Index":
      return { k: "index", obj: go(e.object), index: go(e.index) };
    case "NonNull":
      return { k: "nonnull", expr: go(e.expr) };
    case "Call":
      return { k: "call", fn: calleeName(e.callee), args: e.args.map((a) => go(a.value)) };
    case "Unary":
      return { k: "unary", op: e.op, operand: go(e.operand) };
    case "Binary":
      return { k: "binary", op: e.op, left: go(e.left), right: go(e.right) };
    case "Record":
      return { k: "record", fields: e.fields.map((f) => ({ key: f.key.name, value: go(f.value) })) };
    case "List":
      return { k: "list", items: e.items.map(go) };
  }
}

/** `{{ output_format }}` is filled by the VM with the output schema; other holes are expressions. */
export function templateSegments(ctx: LowerCtx, t: TemplateLit, locals: Locals, context = false): Segment[] {
  const out: Segment[] = [];
  for (const p of t.parts) {
    if (p.kind === "Text") {
      const last = out[out.length - 1];
      if (last && "text" in last) last.text += p.text;
      else if (p.text) out.push({ text: p.text });
    } else if (p.expr.kind === "Name" && p.expr.name === "output_format" && !locals.has("output_format")) {
      out.push({ builtin: "output_format" });
    } else if (context && p.expr.kind === "Name" && p.expr.name === "context" && !locals.has("context")) {
      // `{{ context }}` of a prompt with `context:`: the assembled text, filled by the VM.
      out.push({ builtin: "context" });
    } else {
      out.push({ expr: exprToIR(ctx, p.expr, locals) });
    }
  }
  return out;
}

/** Segments of a property that is a template or a plain string. */
export function segmentsOf(ctx: LowerCtx, e: Expr | undefined, locals: Locals, context = false): Segment[] {
  if (!e) return [];
  if (e.kind === "Template") return templateSegments(ctx, e, locals, context);
  if (e.kind === "String") return e.value ? [{ text: e.value }] : [];
  return [{ expr: exprToIR(ctx, e, locals) }];
}

export function calleeName(e: Expr): string {
  if (e.kind === "Name") return e.name;
  if (e.kind === "Member") {
    const head = calleeName(e.object);
    return head ? `${head}.${e.name.name}` : e.name.name;
  }
  return "";
}

/**
 * Call arguments as a `record` keyed by the callee's parameter names: named arguments keep their
 * name, positional ones take the name of the parameter at their position (`argN` past the end).
 */
export function argsToIR(ctx: LowerCtx, args: Arg[], params: Field[] | undefined, locals: Locals): ExprIR {
  const fields = args.map((a, i) => ({
    key: a.name?.name || params?.[i]?.name.name || `arg${i}`,
    value: exprToIR(ctx, a.value, locals),
  }));
  return { k: "record", fields };
}
