// The attack: someone who can write a plan file (or the run store) changes what a plan does — here
// the policy's limit, so a payment it denied goes through — and recomputes the sha256 checksum in
// the header so the file still loads. Before signed plans `awr run` accepted it. Under --trust a
// plan must be signed by a trusted key and unchanged since: the edited plan, an unsigned one, one
// signed by a stranger, and a waiting run whose stored plan was swapped are refused before
// anything runs (exit 77), and nothing is stored. (Issue 12, item 4.)
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPlanHeader, signPlan } from "../../compiler/plan/index.js";
import { openStore } from "../../vm/store/index.js";
import { awr } from "../helpers/awr-cli.js";

const program = `
tool pay(amount: float) -> string { impl: builtin("std.random.uuid") }
policy limits {
  before tool pay { deny when input.amount > 100 because "too much" }
}
graph checkout(amount: float) -> string {
  state { ok: bool?, receipt: string? }
  node ask { await human("confirm the payment") -> ok }
  node charge { run pay(amount) -> receipt }
  edge start -> ask
  edge ask -> charge
  edge charge -> end
  return receipt ?? "none"
}
`;

let dir = "";
const at = (f: string) => join(dir, f);
const INPUT = '{"amount": 120}';

/** The attacker's edit: the policy's limit 100 becomes 127 (one byte), and the body's checksum is recomputed. */
function raiseLimit(bytes: Uint8Array): Buffer {
  const h = readPlanHeader(bytes);
  const out = Buffer.from(bytes);
  const body = out.subarray(h.bodyOffset, h.bodyOffset + h.bodyLength);
  // msgpack of the literal: key "v" (a1 76), value 100 (fixint 0x64)
  const needle = Buffer.from([0xa1, 0x76, 0x64]);
  const i = body.indexOf(needle);
  expect(i).toBeGreaterThanOrEqual(0);
  expect(body.indexOf(needle, i + 1)).toBe(-1);
  body[i + 2] = 127;
  createHash("sha256").update(body).digest().copy(out, h.bodyOffset - 36);
  return out;
}

async function run(plan: string, extra: string[], store = "memory:") {
  return awr(["run", plan, "--input", INPUT, "--store", store, "--json", ...extra], { cwd: dir });
}

function refused(r: { code: number | null; stdout: string; stderr: string }, reason: RegExp) {
  expect(r.code, r.stderr).toBe(77);
  expect(r.stderr).toMatch(reason);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "awr-signing-"));
  writeFileSync(at("main.awr"), program);
  for (const name of ["alice", "mallory"]) expect((await awr(["keygen", name], { cwd: dir })).code).toBe(0);
  const b = await awr(["build", "main.awr", "-o", "signed.awrp", "--sign", "alice.key"], { cwd: dir });
  expect(b.code, b.stderr).toBe(0);
  expect((await awr(["build", "main.awr", "-o", "unsigned.awrp"], { cwd: dir })).code).toBe(0);
  writeFileSync(at("edited.awrp"), raiseLimit(readFileSync(at("signed.awrp"))));
  writeFileSync(at("edited-unsigned.awrp"), raiseLimit(readFileSync(at("unsigned.awrp"))));
  writeFileSync(at("mallory.awrp"), signPlan(raiseLimit(readFileSync(at("unsigned.awrp"))), readFileSync(at("mallory.key"), "utf8")));
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("a plan file edited after it was signed", () => {
  it("without --trust the edit works: the checksum holds and the payment the policy denied goes through", async () => {
    const db = at("open.db");
    const r = await run("edited.awrp", [], db);
    expect(r.code, r.stderr).toBe(0);
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const paid = await awr(["resume", runId, "--value", "true", "--store", db, "--json"], { cwd: dir });
    expect(JSON.parse(paid.stdout)).toMatchObject({ status: "completed" });
  });

  it("under --trust it is refused before a run is created: its bytes do not match the signature", async () => {
    const db = at("edited.db");
    refused(await run("edited.awrp", ["--trust", "alice.pub"], db), /edited\.awrp: the plan's bytes do not match its signature by key [0-9a-f]{64}: it was changed after it was signed/);
    expect(existsSync(db)).toBe(false);
  });

  it("an unsigned plan (edited or not) is refused", async () => {
    refused(await run("unsigned.awrp", ["--trust", "alice.pub"]), /the plan is not signed/);
    refused(await run("edited-unsigned.awrp", ["--trust", "alice.pub"]), /the plan is not signed/);
    refused(await run("main.awr", ["--trust", "alice.pub"]), /compiled from \.awr sources, which carry no signature/);
  });

  it("a plan signed by another key is refused, naming that key", async () => {
    const fp = JSON.parse((await awr(["inspect", "--json", "mallory.awrp"], { cwd: dir })).stdout).signature.key as string;
    refused(await run("mallory.awrp", ["--trust", "alice.pub"]), new RegExp(`signed by key ${fp}, which is not trusted`));
    refused(await awr(["run", "mallory.awrp", "--input", INPUT, "--store", "memory:"], { cwd: dir, env: { AWR_TRUST: "alice.pub" } }), /not trusted/);
  });

  it("the genuine plan runs under --trust (and AWR_TRUST)", async () => {
    const r = await run("signed.awrp", ["--trust", "mallory.pub", "--trust", "alice.pub"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "suspended" });
    const env = await awr(["run", "signed.awrp", "--input", INPUT, "--store", "memory:", "--json"], { cwd: dir, env: { AWR_TRUST: "alice.pub" } });
    expect(env.code, env.stderr).toBe(0);
  });
});

describe("a waiting run whose stored plan was swapped", () => {
  it("is refused by resume and replay under --trust; the run stays as it was", async () => {
    const db = at("runs.db");
    const started = await run("signed.awrp", ["--trust", "alice.pub"], db);
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };

    // The attacker stores the edited plan as a new blob (its hash is right) and points the run at it.
    const store = openStore(db);
    const forged = store.putBlob(readFileSync(at("edited.awrp")));
    store.close();
    const conn = new Database(db);
    conn.prepare("UPDATE runs SET plan_hash = ? WHERE run_id = ?").run(forged, runId);
    conn.close();
    copyFileSync(db, at("unguarded.db"));
    const before = readFileSync(db);

    const resumed = await awr(["resume", runId, "--value", "true", "--store", db, "--trust", "alice.pub", "--json"], { cwd: dir });
    refused(resumed, new RegExp(`the stored plan of run ${runId}: the plan's bytes do not match its signature`));
    const replayed = await awr(["replay", runId, "--store", db, "--trust", "alice.pub"], { cwd: dir });
    refused(replayed, /changed after it was signed/);
    expect(readFileSync(db).equals(before)).toBe(true);

    // Without --trust the swapped plan would have run, and paid.
    const unguarded = await awr(["resume", runId, "--value", "true", "--store", at("unguarded.db"), "--json"], { cwd: dir });
    expect(JSON.parse(unguarded.stdout)).toMatchObject({ status: "completed" });
  }, 60_000);
});
