// Decoding a plan file: the checks of file.ts (header, length, checksum, msgpack), then the body
// against the zod schema (types.ts). A plan that decodes is well formed (docs/plan.md § Loading).
// Every plan loaded from bytes passes here; a plan the compiler has just lowered is not re-validated
// (test/compiler/examples.test.ts and test/plan/lower-helpers.ts check that lowering yields valid plans).
// msgpackr's main entry, for its side effect: it gives the unpacker file.ts uses (the same module)
// the native string extractor, which decodes large plans faster.
import "msgpackr";
import { PlanError } from "./errors.js";
import { PLAN_FORMAT } from "./format.js";
import { LEGACY_FORMAT, SIGNED_FORMAT, oneLine, readPlanBody } from "./file.js";
import { PlanSchema, type Plan } from "./types.js";

export * from "./file.js";

export function decodePlan(bytes: Uint8Array): Plan {
  const body = readPlanBody(bytes);
  const header = body.header;
  let raw = body.raw;
  // A format 3 or 4 file carries a format-3 body: filled in to today's shape before it is checked.
  const bodyFormat = header.format === PLAN_FORMAT ? PLAN_FORMAT : LEGACY_FORMAT;
  const rawFormat = (raw as { format?: unknown } | null)?.format;
  if (bodyFormat === LEGACY_FORMAT && rawFormat === LEGACY_FORMAT) raw = fromFormat3(raw as Record<string, unknown>);
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length ? issue.path.map(String).join(".") : "(body)";
    throw new PlanError("PLAN_INVALID", `plan body is invalid at ${path}: ${oneLine(issue.message)}`);
  }
  if (rawFormat !== bodyFormat) {
    throw new PlanError("PLAN_INVALID", `plan body says format ${String(rawFormat)} but its header says ${header.format}${header.format === SIGNED_FORMAT ? ` (a signed plan, whose body is format ${LEGACY_FORMAT})` : ""}`);
  }
  return parsed.data;
}

/**
 * A format-3 body in today's shape: every `await` gets `key: null` (format 5 added the correlation
 * key of `await event("name", key: …)`), and the body says format 5. Nothing else differs.
 */
function fromFormat3(body: Record<string, unknown>): Record<string, unknown> {
  const graphs = body["graphs"];
  if (graphs && typeof graphs === "object") {
    for (const g of Object.values(graphs as Record<string, { nodes?: unknown }>)) {
      if (!Array.isArray(g?.nodes)) continue;
      for (const node of g.nodes as { stmts?: unknown }[]) {
        if (!Array.isArray(node?.stmts)) continue;
        for (const st of node.stmts as Record<string, unknown>[]) if (st && st["op"] === "await" && !("key" in st)) st["key"] = null;
      }
    }
  }
  return { ...body, format: PLAN_FORMAT };
}
