// Plan files as compilers 0.3.x wrote them (formats 3 and 4, before the flags byte and the await
// `key`), for the tests that show this runtime still reads them.
import { createHash } from "node:crypto";
import { Packr } from "msgpackr";
import type { Plan } from "../../compiler/plan/types.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0]);

/** `plan` as a format-3 file: no flags byte, a body of format 3 whose awaits have no `key`. */
export function format3Bytes(plan: Plan): Uint8Array {
  const body3 = structuredClone(plan) as unknown as { format: number; graphs: Record<string, { nodes: { stmts: Record<string, unknown>[] }[] }> };
  body3.format = 3;
  for (const g of Object.values(body3.graphs)) for (const n of g.nodes) for (const s of n.stmts) if (s["op"] === "await") delete s["key"];
  const body = packr.pack(body3);
  const compiler = new TextEncoder().encode(plan.compiler);
  const out = new Uint8Array(7 + compiler.length + 32 + 4 + body.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode("AWRP"), 0);
  view.setUint16(4, 3);
  out[6] = compiler.length;
  out.set(compiler, 7);
  out.set(createHash("sha256").update(body).digest(), 7 + compiler.length);
  view.setUint32(7 + compiler.length + 32, body.length);
  out.set(body, 7 + compiler.length + 36);
  return out;
}
