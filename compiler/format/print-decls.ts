// The module and declaration printer: imports, types, enums, models, tools, prompts, agents and
// contexts (graphs, policies and tests have their own printers). Declarations are separated by one
// blank line; consecutive imports stay together (a blank line between them is kept).
import type * as A from "../syntax/ast.js";
import { type Doc, type PrintContext, group, hardline, indent, join, line } from "./doc.js";
import { inSourceOrder, printBody } from "./print-body.js";
import { printExpr, printIdent, printRecord, stringLiteral } from "./print-exprs.js";
import { printGraph } from "./print-graph.js";
import { printPolicy } from "./print-policy.js";
import { printSignature } from "./print-signature.js";
import { printTest } from "./print-test.js";
import { printField, printType } from "./print-types.js";

export function printModule(ctx: PrintContext, m: A.Module): Doc {
  const items = inSourceOrder<A.ImportDecl | A.Decl>(m.imports, m.decls);
  if (items.length === 0) {
    const inside = ctx.dangling(m);
    return inside ? [inside, hardline] : "";
  }
  const parts: Doc[] = [];
  items.forEach((item, i) => {
    const prev = items[i - 1];
    if (prev) {
      const together = prev.kind === "Import" && item.kind === "Import" && !ctx.blankLineBetween(ctx.extent(prev).end, ctx.extent(item).start);
      parts.push(together ? hardline : [hardline, hardline]);
    }
    parts.push(printTopLevel(ctx, item));
  });
  return [parts, hardline];
}

function printTopLevel(ctx: PrintContext, d: A.ImportDecl | A.Decl): Doc {
  return ctx.withComments(d, d.kind === "Import" ? ["import ", stringLiteral(ctx, d.pathSpan, d.path)] : printDecl(ctx, d));
}

function printDecl(ctx: PrintContext, d: A.Decl): Doc {
  switch (d.kind) {
    case "TypeDecl":
      if (d.alias) return ["type ", printIdent(ctx, d.name), " = ", printType(ctx, d.alias)];
      return ["type ", printIdent(ctx, d.name), " ", printBody(ctx, d, d.fields, (f) => printField(ctx, f))];
    case "EnumDecl": {
      const head = ["enum ", printIdent(ctx, d.name), " "];
      if (d.members.length === 0) return [head, printBody(ctx, d, [], () => "")];
      const members = d.members.map((m) => printIdent(ctx, m));
      return group([head, "{", indent([line, join([",", line], members)]), line, "}"]);
    }
    case "ModelDecl":
      return ["model ", printIdent(ctx, d.name), " ", printProps(ctx, d, d.props)];
    case "ToolDecl":
    case "PromptDecl":
    case "AgentDecl": {
      const kw = d.kind === "ToolDecl" ? "tool" : d.kind === "PromptDecl" ? "prompt" : "agent";
      return [kw, " ", printIdent(ctx, d.name), printSignature(ctx, d), " ", printProps(ctx, d, d.props)];
    }
    case "ContextDecl": {
      const items = inSourceOrder<A.ContextSource | A.Property>(d.sources, d.props);
      return ["context ", printIdent(ctx, d.name), " ", printBody(ctx, d, items, (x) => (x.kind === "Property" ? printProperty(ctx, x) : printSource(ctx, x)))];
    }
    case "PolicyDecl":
      return printPolicy(ctx, d);
    case "GraphDecl":
      return printGraph(ctx, d);
    case "TestDecl":
      return printTest(ctx, d);
  }
}

function printProps(ctx: PrintContext, owner: A.Decl, props: A.Property[]): Doc {
  return printBody(ctx, owner, props, (p) => printProperty(ctx, p));
}

/** `key: value`, `key #"template"#` or `key { record }` (the last two are written without a colon). */
export function printProperty(ctx: PrintContext, p: A.Property): Doc {
  const v = p.value;
  if (v.kind === "Template" || v.kind === "Record") {
    // `system // note` then the template on the next line: comments between the key and a template or
    // a record stay there (printed as trailing comments they would land after the value's first line,
    // inside a multi-line template even).
    const between = ctx.takeBetween(p.key, v);
    const value = v.kind === "Template" ? printExpr(ctx, v) : ctx.withComments(v, printRecord(ctx, v));
    return ctx.withComments(p, [printIdent(ctx, p.key), ctx.commentsBetween(between, value)]);
  }
  return ctx.withComments(p, [printIdent(ctx, p.key), ": ", printExpr(ctx, v)]);
}

function printSource(ctx: PrintContext, s: A.ContextSource): Doc {
  const parts: Doc[] = ["source ", printIdent(ctx, s.name), " = ", printExpr(ctx, s.value)];
  if (s.options) parts.push(" ", ctx.withComments(s.options, printRecord(ctx, s.options)));
  return ctx.withComments(s, parts);
}


