// Decoding a plan file: the checks of file.ts (header, length, checksum, msgpack), then the body
// against the zod schema (types.ts). A plan that decodes is well formed (docs/plan.md § Loading).
// Every plan loaded from bytes passes here; a plan the compiler has just lowered is not re-validated
// (test/compiler/examples.test.ts and test/plan/lower-helpers.ts check that lowering yields valid plans).
// msgpackr's main entry, for its side effect: it gives the unpacker file.ts uses (the same module)
// the native string extractor, which decodes large plans faster.
import "msgpackr";
import { PlanError } from "./errors.js";
import { PLAN_FORMAT } from "./format.js";
import { SIGNED_FORMAT, oneLine, readPlanBody } from "./file.js";
import { PlanSchema, type Plan } from "./types.js";

export * from "./file.js";

export function decodePlan(bytes: Uint8Array): Plan {
  const { header, raw } = readPlanBody(bytes);
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length ? issue.path.map(String).join(".") : "(body)";
    throw new PlanError("PLAN_INVALID", `plan body is invalid at ${path}: ${oneLine(issue.message)}`);
  }
  // A signed plan (format 4) carries a format-3 body.
  const bodyFormat = header.format === SIGNED_FORMAT ? PLAN_FORMAT : header.format;
  if (parsed.data.format !== bodyFormat) {
    throw new PlanError("PLAN_INVALID", `plan body says format ${parsed.data.format} but its header says ${header.format}${header.format === SIGNED_FORMAT ? ` (a signed plan, whose body is format ${PLAN_FORMAT})` : ""}`);
  }
  return parsed.data;
}
