// Small helpers over expressions shared by the graph analyses: a walker, structural equality,
// literal reading and a compact printer (used when the source text is not at hand).
import type { Expr } from "../syntax/ast.js";
import { BINARY_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from "../plan/precedence.js";

/** Calls `visit` on `e` and every sub-expression, outside-in. Stops descending where `visit` returns false. */
export function walkExpr(e: Expr | undefined, visit: (e: Expr) => boolean | void): void {
  if (!e) return;
  if (visit(e) === false) return;
  switch (e.kind) {
    case "Template":
      for (const p of e.parts) if (p.kind === "Hole") walkExpr(p.expr, visit);
      return;
    case "Member":
      return walkExpr(e.object, visit);
    case "Index":
      walkExpr(e.object, visit);
      return walkExpr(e.index, visit);
    case "NonNull":
      return walkExpr(e.expr, visit);
    case "Call":
      walkExpr(e.callee, visit);
      for (const a of e.args) walkExpr(a.value, visit);
      return;
    case "Unary":
      return walkExpr(e.operand, visit);
    case "Binary":
      walkExpr(e.left, visit);
      return walkExpr(e.right, visit);
    case "Record":
      for (const f of e.fields) walkExpr(f.value, visit);
      return;
    case "List":
      for (const i of e.items) walkExpr(i, visit);
      return;
    default:
      return;
  }
}

/** Structural equality, ignoring spans. */
export function sameExpr(a: Expr, b: Expr): boolean {
  return printExpr(a) === printExpr(b);
}

/** The value of a numeric literal (negated literals included), else undefined. */
export function numberValue(e: Expr | undefined): number | undefined {
  if (!e) return undefined;
  if (e.kind === "Number") return e.value;
  if (e.kind === "Unary" && e.op === "-" && e.operand.kind === "Number") return -e.operand.value;
  return undefined;
}

/** The name of a bare name expression (`fast`), else undefined. */
export function nameValue(e: Expr | undefined): string | undefined {
  return e?.kind === "Name" ? e.name : undefined;
}

const PRECEDENCE: Record<string, number> = BINARY_PRECEDENCE;

/** A canonical one-line rendering of an expression (templates are abbreviated). */
export function printExpr(e: Expr, parent = 0): string {
  switch (e.kind) {
    case "String":
      return JSON.stringify(e.value);
    case "Number":
      return String(e.value);
    case "Bool":
      return String(e.value);
    case "Null":
      return "null";
    case "Duration":
      return e.text;
    case "Template":
      return `#"${e.raw}"#`;
    case "Name":
      return e.name;
    case "Member":
      return `${printExpr(e.object, POSTFIX_PRECEDENCE)}${e.optional ? "?." : "."}${e.name.name}`;
    case "Index":
      return `${printExpr(e.object, POSTFIX_PRECEDENCE)}[${printExpr(e.index)}]`;
    case "NonNull":
      return `${printExpr(e.expr, POSTFIX_PRECEDENCE)}!`;
    case "Call":
      return `${printExpr(e.callee, POSTFIX_PRECEDENCE)}(${e.args.map((a) => (a.name ? `${a.name.name}: ` : "") + printExpr(a.value)).join(", ")})`;
    case "Unary":
      return `${e.op}${printExpr(e.operand, UNARY_PRECEDENCE)}`;
    case "Binary": {
      const p = PRECEDENCE[e.op] ?? 0;
      const s = `${printExpr(e.left, p)} ${e.op} ${printExpr(e.right, p + 1)}`;
      return p < parent ? `(${s})` : s;
    }
    case "Record":
      return `{ ${e.fields.map((f) => `${f.key.name}: ${printExpr(f.value)}`).join(", ")} }`;
    case "List":
      return `[${e.items.map((i) => printExpr(i)).join(", ")}]`;
    case "ErrorExpr":
      return "?";
  }
}
