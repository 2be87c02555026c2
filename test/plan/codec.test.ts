import { describe, expect, it } from "vitest";
import { decodePlan, encodePlan, readPlanHeader } from "../../compiler/plan/codec.js";
import { PlanError, type PlanErrorCode } from "../../compiler/plan/errors.js";
import { PLAN_FORMAT } from "../../compiler/plan/types.js";
import { format3Bytes } from "./legacy-plan.js";
import { samplePlan } from "./sample-plan.js";

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error("expected a PlanError");
}

function expectPlanError(bytes: Uint8Array, code: PlanErrorCode, mentions: (string | RegExp)[]): PlanError {
  const e = planError(() => decodePlan(bytes));
  expect(e.code).toBe(code);
  expect(e._tag).toBe("PlanError");
  expect(e.message).not.toContain("\n");
  for (const m of mentions) expect(e.message).toMatch(m);
  return e;
}

/** Offset of the format version and of the body in an encoded plan. */
function layout(bytes: Uint8Array) {
  const h = readPlanHeader(bytes);
  return { formatAt: 4, bodyAt: h.bodyOffset };
}

describe("plan codec", () => {
  it("round-trips a plan: decode(encode(plan)) equals plan", () => {
    const plan = samplePlan();
    const decoded = decodePlan(encodePlan(plan));
    expect(decoded).toStrictEqual(plan);
  });

  it("encodes deterministically", () => {
    expect(Buffer.from(encodePlan(samplePlan())).equals(Buffer.from(encodePlan(samplePlan())))).toBe(true);
  });

  it("reads the header without decoding the body", () => {
    const bytes = encodePlan(samplePlan());
    const h = readPlanHeader(bytes);
    expect(h).toMatchObject({ magic: "AWRP", format: PLAN_FORMAT, compiler: "0.1.0-test" });
    expect(h.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(h.bodyOffset + h.bodyLength).toBe(bytes.length);
  });

  it("rejects a file that is not a plan", () => {
    const bytes = new TextEncoder().encode('{"format": 1}');
    expectPlanError(bytes, "PLAN_BAD_MAGIC", ["not an AWR plan", '"AWRP"']);
  });

  it("rejects a newer format naming both versions and the compiler", () => {
    const bytes = encodePlan(samplePlan());
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(layout(bytes).formatAt, PLAN_FORMAT + 2);
    const e = expectPlanError(bytes, "PLAN_VERSION", [`plan format ${PLAN_FORMAT + 2}`, `newer than this runtime's ${PLAN_FORMAT}`, "0.1.0-test"]);
    expect(planError(() => readPlanHeader(bytes)).message).toBe(e.message);
  });

  it("rejects a format older than 3", () => {
    const bytes = encodePlan(samplePlan());
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(4, 2);
    expectPlanError(bytes, "PLAN_VERSION", ["plan format 2", `older than this runtime's ${PLAN_FORMAT}`, /rebuild/]);
  });

  it("reads a format-3 plan of compilers 0.3.x: its awaits get key null, and it says format 5", () => {
    const plan = samplePlan();
    const old = format3Bytes(plan);
    expect(readPlanHeader(old)).toMatchObject({ format: 3, signed: false });
    expect(decodePlan(old)).toStrictEqual(plan);
  });

  it("refuses a format-3 header over a format-5 body and the other way round", () => {
    const bytes = encodePlan(samplePlan());
    const h = readPlanHeader(bytes);
    // The format-5 body inside a format-3 header (flags byte removed).
    const mixed = Buffer.concat([bytes.subarray(0, h.flagsAt!), bytes.subarray(h.flagsAt! + 1)]);
    mixed.writeUInt16BE(3, 4);
    expectPlanError(mixed, "PLAN_INVALID", ["plan body says format 5 but its header says 3"]);
  });

  it("rejects a truncated body and a truncated header", () => {
    const bytes = encodePlan(samplePlan());
    expectPlanError(bytes.subarray(0, bytes.length - 10), "PLAN_TRUNCATED", ["truncated", /body has \d+ of \d+ bytes/]);
    expectPlanError(bytes.subarray(0, 20), "PLAN_TRUNCATED", ["truncated", "header"]);
    expectPlanError(bytes.subarray(0, 2), "PLAN_TRUNCATED", ["truncated"]);
    expectPlanError(new Uint8Array(0), "PLAN_TRUNCATED", ["empty"]);
  });

  it("rejects a flipped byte in the body by its checksum", () => {
    const bytes = encodePlan(samplePlan());
    const at = layout(bytes).bodyAt + 40;
    bytes[at] = bytes[at]! ^ 0x01;
    expectPlanError(bytes, "PLAN_CHECKSUM", ["sha256", "corrupted"]);
  });

  it("rejects bytes after the body", () => {
    const bytes = encodePlan(samplePlan());
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expectPlanError(longer, "PLAN_INVALID", ["3 unexpected bytes"]);
  });

  it("validates the decoded body against the schema", () => {
    const plan = samplePlan() as unknown as { graphs: { flow: { nodes: { stmts: { op: string }[] }[] } } };
    plan.graphs.flow.nodes[0]!.stmts[0]!.op = "jump";
    const bytes = encodePlan(plan as never);
    expectPlanError(bytes, "PLAN_INVALID", ["graphs.flow.nodes.0.stmts.0"]);
  });
});
