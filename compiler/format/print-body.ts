// Bodies: the `{ ... }` of declarations, nodes and hooks. One item per line, indented by two;
// a blank line between two items is kept (several collapse into one); `{}` when empty.
import type { Located } from "./comments.js";
import { type Doc, type PrintContext, group, hardline, indent, line } from "./doc.js";

export interface BodyOptions {
  /**
   * A body with a single item written on one line may stay on one line (`node a { run f() -> x }`,
   * `after model { redact pii }`) when it fits and holds no comment.
   */
  inline?: boolean;
}

export function printBody<T extends Located>(
  ctx: PrintContext,
  owner: Located,
  items: readonly T[],
  printItem: (item: T) => Doc,
  opts: BodyOptions = {},
): Doc {
  if (items.length === 0) {
    const inside = ctx.dangling(owner);
    return inside ? ["{", indent([hardline, inside]), hardline, "}"] : "{}";
  }
  if (opts.inline && items.length === 1 && !ctx.source(owner.span).includes("\n") && !ctx.hasCommentIn(owner.span)) {
    return group(["{", indent([line, printItem(items[0]!)]), line, "}"]);
  }
  return ["{", indent([hardline, printItems(ctx, items, printItem)]), hardline, "}"];
}

/** Items one per line, keeping one blank line where the source had at least one. */
export function printItems<T extends Located>(ctx: PrintContext, items: readonly T[], printItem: (item: T) => Doc): Doc {
  const parts: Doc[] = [];
  items.forEach((item, i) => {
    if (i > 0) {
      parts.push(hardline);
      if (ctx.blankLineBetween(ctx.extent(items[i - 1]!).end, ctx.extent(item).start)) parts.push(hardline);
    }
    parts.push(printItem(item));
  });
  return parts;
}

/** Items in source order (a context's sources and properties live in two arrays of the AST). */
export function inSourceOrder<T extends Located>(...lists: (readonly T[])[]): T[] {
  return lists.flat().sort((a, b) => a.span.start - b.span.start);
}
