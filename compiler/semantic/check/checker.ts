// What every declaration checker gets: the pass's context (diagnostics, references, types), an
// expression checker over it, and the program's tool tags (read on first use: they depend on every
// module, so a declaration that never asks does not record reading them).
import * as A from "../../syntax/ast.js";
import type { Program } from "../program.js";
import { ExprChecker } from "../expr.js";
import type { CheckContext } from "../scope.js";
import { dotted } from "./props.js";

export interface Checker {
  readonly ctx: CheckContext;
  readonly ex: ExprChecker;
  /** Every tag of every tool of the program. */
  tags(): Set<string>;
}

export function newChecker(ctx: CheckContext): Checker {
  let tags: Set<string> | undefined;
  return {
    ctx,
    ex: new ExprChecker(ctx),
    tags: () => (tags ??= new Set(ctx.derive("tool tags", toolTags).split("\n").filter((t) => t !== ""))),
  };
}

/** The tags of every tool of the program, one per line, in declaration order. */
function toolTags(program: Program): string {
  const out = new Set<string>();
  for (const s of program.globals.values()) {
    if (s.decl.kind !== "ToolDecl") continue;
    const tags = A.prop(s.decl.props, "tags")?.value;
    if (tags?.kind === "List") for (const t of tags.items) if (dotted(t)) out.add(dotted(t)!);
  }
  return [...out].join("\n");
}
