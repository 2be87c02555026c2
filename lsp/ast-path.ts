// Generic walks over the AST: every node is a plain object with `kind` and `span`, so children are
// found structurally (no per-kind visitor to keep in sync with ast.ts).
import type { ast as A } from "../compiler/index.js";

export interface AnyNode {
  kind: string;
  span: A.Span;
  [key: string]: unknown;
}

function isNode(x: unknown): x is AnyNode {
  if (!x || typeof x !== "object") return false;
  const o = x as { kind?: unknown; span?: unknown };
  return typeof o.kind === "string" && !!o.span && typeof o.span === "object";
}

/** Child nodes in source order (also those held in plain wrapper objects such as a hook selector). */
export function childrenOf(n: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  const visit = (v: unknown, depth: number) => {
    if (!v || typeof v !== "object" || depth > 2) return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth);
      return;
    }
    if (isNode(v)) {
      out.push(v);
      return;
    }
    for (const x of Object.values(v as Record<string, unknown>)) visit(x, depth + 1);
  };
  for (const [k, v] of Object.entries(n)) {
    if (k === "span" || k.endsWith("Span") || k === "comments") continue;
    visit(v, 0);
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

/**
 * The chain of nodes containing `offset`, outermost first (the module itself first). A cursor just
 * after a name (offset == end) still counts as on it, unless the next node starts there.
 */
export function pathAt(module: A.Module, offset: number): AnyNode[] {
  const path: AnyNode[] = [module as unknown as AnyNode];
  let cur: AnyNode = module as unknown as AnyNode;
  for (let guard = 0; guard < 200; guard++) {
    const kids = childrenOf(cur);
    const next = kids.find((k) => k.span.start <= offset && offset < k.span.end) ?? kids.find((k) => k.span.start <= offset && offset === k.span.end);
    if (!next) break;
    path.push(next);
    cur = next;
  }
  return path;
}

/** Every node below `n` (depth first, source order). */
export function* descendants(n: AnyNode): Generator<AnyNode> {
  for (const c of childrenOf(n)) {
    yield c;
    yield* descendants(c);
  }
}

/** The top-level declaration whose span holds `offset`, else the last one starting before it. */
export function declAt(module: A.Module, offset: number): A.Decl | undefined {
  let best: A.Decl | undefined;
  for (const d of module.decls) {
    if (d.span.start <= offset && offset <= d.span.end) return d;
    if (d.span.start <= offset) best = d;
  }
  return best;
}
