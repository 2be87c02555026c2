// Runs an operator can always finish (issue 11), as a user sees them: the CLI's output and exit
// codes. Answers are checked before they are stored; a run stopped on an effect in doubt is
// resolved; Ctrl-C leaves a resumable run; a run remembers its models; read commands never create
// a store; a run in a memory: store says it cannot be resumed.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, awr } from "../helpers/awr-cli.js";

let dir: string;
let n = 0;
/** A fresh store and effects file per test. */
const fresh = () => {
  n++;
  return { store: join(dir, `s${n}.db`), effects: join(dir, "ops", `e${n}.log`) };
};
const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-operator-"));
  cpSync(join(ROOT, "test", "cli", "fixtures", "operator"), join(dir, "ops"), { recursive: true });
  cpSync(join(ROOT, "examples", "support-triage"), join(dir, "support"), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `awr ARGS` in the background: stdout so far, and a way to signal it. */
function background(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Waits until `file` has a line matching `re` (a tool's side effect happened). */
async function until(file: string, re: RegExp, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!lines(file).some((l) => re.test(l))) {
    if (Date.now() - t0 > ms) throw new Error(`no line matching ${re} in ${file} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const status = async (id: string, store: string) => (JSON.parse((await awr(["runs", "show", id, "--store", store, "--json"], { cwd: dir })).stdout) as { status: string; journal: unknown[] });

describe("awr resume checks the answer before storing it", () => {
  const rec = () => {
    const file = join(dir, "big.jsonl");
    writeFileSync(
      file,
      [
        { caller: "classify_case", output: { severity: "normal", category: "refund", summary: "Refund", sentiment: "neutral", confidence: 0.9 } },
        { caller: "refund_advisor", output: { action: "refund", order_id: "S-6010", amount: 180, reason: "Returned" } },
        { caller: "draft_reply", output: { subject: "Refund", text: "Refunded." } },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    return file;
  };

  it("an approval takes true, false or { approved, comment? }: anything else is exit 2 and nothing is journaled; who approved is audited", async () => {
    const { store } = fresh();
    const input = join(dir, "big.json");
    writeFileSync(input, JSON.stringify({ request: { id: "C-9", email: "a@b.co", customer_name: "A", subject: "Refund", body: "Please refund", order_id: "S-6010" } }));
    const started = await awr(["run", "support/main.awr", "-i", `@${input}`, "--models", `recorded:${rec()}`, "--store", store, "--json"], { cwd: dir });
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    const before = await status(runId, store);
    expect(before.status).toBe("suspended");

    const wrong = await awr(["resume", runId, "--value", '{"approve": true}', "--store", store], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: the value does not fit approval "refunds above 100 USD need a team lead's approval": expected true, false or \{ "approved": true\|false, "comment"\?: string \}/);
    expect(wrong.stderr).toContain("$.approve: unexpected property");
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack
    const after = await status(runId, store);
    expect(after.status).toBe("suspended");
    expect(after.journal).toEqual(before.journal);

    // Without --models: the run's own recorded answers, continued after those the journal holds.
    const ok = await awr(["resume", runId, "--value", "true", "--by", "alice", "--comment", "checked the order", "--store", store, "--json"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: "completed", output: { refunded: 180 } });
    const audit = await awr(["audit", "--run", runId, "--kind", "operator", "--store", store, "--jsonl"], { cwd: dir });
    const records = audit.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([
      expect.objectContaining({ kind: "operator", hook: "resume", target: "approval", outcome: "approved", by: "alice", comment: "checked the order", step: expect.stringMatching(/\/approval$/) }),
    ]);
  });

  it("an await's answer must fit the field's type; the error names the type and the JSON path", async () => {
    const { store } = fresh();
    const r = await awr(["run", "ops/ops.awr", "-g", "meet", "-i", '{"x": 1}', "--store", store, "--json"], { cwd: dir });
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const bad = await awr(["resume", runId, "--value", '{"name": "Ada", "age": "old"}', "--store", store], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: the value does not fit human "who is it?": expected { name: string, age: integer }');
    expect(bad.stderr).toContain("$.age: expected integer");
    expect((await status(runId, store)).status).toBe("suspended");
    const good = await awr(["resume", runId, "--value", '{"name": "Ada", "age": 36}', "--store", store], { cwd: dir, env: { USER: "bob" } });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('"Ada"');
    const audit = JSON.parse((await awr(["audit", "--run", runId, "--kind", "operator", "--store", store, "--json"], { cwd: dir })).stdout) as Record<string, unknown>[];
    expect(audit).toEqual([expect.objectContaining({ outcome: "answered", target: "human", by: "bob" })]);
  });
});

describe("awr resolve finishes a run that needs attention", () => {
  /** Starts `pay`, SIGKILLs it while `charge` (not idempotent) hangs after its side effect, then resumes it into needs_attention. */
  async function crashedPayment() {
    const { store, effects } = fresh();
    const bg = background(["run", "ops/ops.awr", "-g", "pay", "-i", '{"amount": 42}', "--store", store, "--json"], { AWR_OP_EFFECTS: effects, AWR_OP_HANG: "1" });
    await until(effects, /^charge 42 /);
    bg.child.kill("SIGKILL");
    expect((await bg.done).signal).toBe("SIGKILL");
    const list = await awr(["runs", "--store", store], { cwd: dir });
    const runId = list.stdout.split(" ")[0]!;
    expect(list.stdout).toContain("running");
    const resumed = await awr(["resume", runId, "--store", store], { cwd: dir, env: { AWR_OP_EFFECTS: effects } });
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toContain(`run ${runId}: needs_attention`);
    expect(resumed.stdout).toContain(`awr resolve ${runId} --succeeded '<its result as JSON>' --store ${store}`);
    return { store, effects, runId };
  }

  it("SIGKILL during a charge → needs_attention → replay agrees → resolve --succeeded completes it without charging again", async () => {
    const { store, effects, runId } = await crashedPayment();
    expect(lines(effects)).toHaveLength(1);

    const replay = await awr(["replay", runId, "--store", store], { cwd: dir });
    expect(replay.code, replay.stdout).toBe(0);
    expect(replay.stdout).toContain("replay reproduced it (needs_attention)");

    const misfit = await awr(["resolve", runId, "--succeeded", '{"id": "CH-42"}', "--store", store], { cwd: dir });
    expect(misfit.code).toBe(2);
    expect(misfit.stderr).toMatch(/^error: the value does not fit the result of tool charge: expected \{ id: string, amount: integer \}/);
    expect(misfit.stderr).toContain("$.amount: missing required property");
    expect((await status(runId, store)).status).toBe("needs_attention");

    const r = await awr(["resolve", runId, "--succeeded", '{"id": "CH-42", "amount": 42}', "--by", "carol", "--comment", "seen in the ledger", "--store", store], {
      cwd: dir,
      env: { AWR_OP_EFFECTS: effects },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`run ${runId}: completed\n"paid CH-42"`);
    expect(lines(effects)).toHaveLength(1); // the charge was not repeated
    const audit = JSON.parse((await awr(["audit", "--run", runId, "--kind", "operator", "--store", store, "--json"], { cwd: dir })).stdout) as Record<string, unknown>[];
    expect(audit).toEqual([expect.objectContaining({ hook: "resolve", target: "charge", outcome: "succeeded", by: "carol", comment: "seen in the ledger" })]);
    const again = await awr(["resolve", runId, "--retry", "--store", store], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: run .* is completed, not needs_attention/);
  });

  it("--retry makes the call once more with the same idempotency key; --fail fails the run with the reason", async () => {
    const a = await crashedPayment();
    const retried = await awr(["resolve", a.runId, "--retry", "--store", a.store], { cwd: dir, env: { AWR_OP_EFFECTS: a.effects } });
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toContain('"paid CH-42"');
    const calls = lines(a.effects);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toBe(calls[0]); // same idempotency key

    const b = await crashedPayment();
    const failed = await awr(["resolve", b.runId, "--fail", "the bank has no such charge", "--store", b.store, "--json"], { cwd: dir });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: "failed", error: { kind: "tool", message: expect.stringContaining("the bank has no such charge") } });
    expect(lines(b.effects)).toHaveLength(1);
  });

  it("needs exactly one of --succeeded, --retry, --fail, and a run that needs attention", async () => {
    const none = await awr(["resolve", "x"], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: say what the effect in doubt did/);
    const two = await awr(["resolve", "x", "--retry", "--fail", "no"], { cwd: dir });
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/^error: choose one of --succeeded, --retry and --fail/);
    const { store } = fresh();
    const r = await awr(["run", "ops/ops.awr", "-g", "meet", "-i", '{"x": 1}', "--store", store, "--json"], { cwd: dir });
    const { runId } = JSON.parse(r.stdout) as { runId: string };
    const notNeeded = await awr(["resolve", runId, "--retry", "--store", store], { cwd: dir });
    expect(notNeeded.code).toBe(2);
    expect(notNeeded.stderr).toContain(`error: run ${runId} is suspended, not needs_attention`);
  });
});

describe("Ctrl-C during awr run", () => {
  it("SIGINT interrupts the run, prints its id and how to continue, exits 130; resume finishes it without repeating the first step", async () => {
    const { store, effects } = fresh();
    const bg = background(["run", "ops/ops.awr", "-g", "steps", "-i", '{"n": 1}', "--store", store], { AWR_OP_EFFECTS: effects, AWR_OP_SLOW: "two" });
    await until(effects, /^slow two$/);
    bg.child.kill("SIGINT");
    const r = await bg.done;
    expect(r.code, r.stderr).toBe(130);
    const runId = /^run (\S+): cancelled$/m.exec(r.stdout)?.[1];
    expect(runId, r.stdout).toBeDefined();
    expect(r.stdout).toContain("error: cancelled: interrupted by SIGINT");
    expect(r.stdout).toContain(`continue with: awr resume ${runId} --store ${store}`);
    expect((await status(runId!, store)).status).toBe("cancelled");

    const resumed = await awr(["resume", runId!, "--store", store], { cwd: dir, env: { AWR_OP_EFFECTS: effects, AWR_OP_SLOW: "" } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run ${runId}: completed\n"one+two"`);
    expect(lines(effects)).toEqual(["slow one", "slow two", "slow two"]);
  });

  it("SIGTERM exits 143", async () => {
    const { store, effects } = fresh();
    const bg = background(["run", "ops/ops.awr", "-g", "steps", "-i", '{"n": 1}', "--store", store, "--json"], { AWR_OP_EFFECTS: effects, AWR_OP_SLOW: "one" });
    await until(effects, /^slow one$/);
    bg.child.kill("SIGTERM");
    const r = await bg.done;
    expect(r.code).toBe(143);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "cancelled", error: { kind: "cancelled", message: "interrupted by SIGTERM" } });
  });
});

describe("a run remembers its models", () => {
  it("resume without --models uses the run's recorded answers and continues after those the journal holds", async () => {
    const { store } = fresh();
    const rec = join(dir, "ops", "chat.jsonl");
    writeFileSync(rec, [{ caller: "say", output: "first answer" }, { caller: "say", output: "second answer" }].map((l) => JSON.stringify(l)).join("\n"));
    const r = await awr(["run", "ops/ops.awr", "-g", "chat", "-i", '{"n": 1}', "--models", "recorded:ops/chat.jsonl", "--store", store, "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const { runId, status: s } = JSON.parse(r.stdout) as { runId: string; status: string };
    expect(s).toBe("suspended");
    // From another directory: the recordings' path was stored absolute.
    const resumed = await awr(["resume", runId, "--value", '"yes"', "--store", store, "--json"], { cwd: tmpdir(), env: { OPENAI_API_KEY: "", OPENAI_BASE_URL: "http://127.0.0.1:9" } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: "completed", output: "first answer/yes/second answer" });
  });
});

describe("read commands never create a store", () => {
  it("runs, runs show, trace, audit, cost, replay, resume and resolve on a missing store: exit 2 naming it, no file created", async () => {
    const missing = join(dir, "nowhere", "missing.db");
    for (const args of [["runs"], ["runs", "show", "r1"], ["trace", "r1"], ["audit"], ["cost"], ["replay", "r1"], ["resume", "r1"], ["resume", "r1", "--value", "true"], ["resolve", "r1", "--retry"]]) {
      const r = await awr([...args, "--store", missing], { cwd: dir });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/^error: no run store at .*nowhere\/missing\.db/);
      expect(existsSync(missing), args.join(" ")).toBe(false);
      expect(existsSync(join(dir, "nowhere")), args.join(" ")).toBe(false);
    }
    const dflt = await awr(["runs"], { cwd: join(dir, "ops") });
    expect(dflt.code).toBe(2);
    expect(dflt.stderr).toMatch(/^error: no run store at \.awr\/runs\.db/);
    expect(existsSync(join(dir, "ops", ".awr"))).toBe(false);
  });

  it("an unknown run names the store searched", async () => {
    const { store } = fresh();
    await awr(["run", "ops/ops.awr", "-g", "meet", "-i", '{"x": 1}', "--store", store], { cwd: dir });
    for (const args of [["runs", "show", "nope"], ["trace", "nope"], ["replay", "nope"], ["resume", "nope"], ["resolve", "nope", "--retry"], ["cost", "--run", "nope"]]) {
      const r = await awr([...args, "--store", store], { cwd: dir });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toContain(`error: no run nope in ${store}`);
    }
  });

  it("input that does not fit the graph is exit 2 and stores no run", async () => {
    const { store } = fresh();
    const r = await awr(["run", "ops/ops.awr", "-g", "meet", "-i", '{"x": "one"}', "--store", store], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: the input does not fit graph meet: expected \{ x: integer \}\n {2}\$\.x: expected integer, got "one"\nhint: no run was started/);
    expect(existsSync(store)).toBe(false);
  });

  it("hostile input nested 5,000 levels deep is refused with the limit named (exit 2, no run stored, no stack trace)", async () => {
    const { store } = fresh();
    const deep = `{"x": 1, "extra": ${"[".repeat(5000)}1${"]".repeat(5000)}}`;
    const r = await awr(["run", "ops/ops.awr", "-g", "meet", "-i", deep, "--store", store], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the input nests deeper than 128 levels");
    expect(r.stderr).not.toMatch(/Maximum call stack|\n\s+at /);
    expect(existsSync(store)).toBe(false);
  });
});

describe("--store memory:", () => {
  it("a run that waits says it cannot be resumed (no resume command), exit 0 as for suspended", async () => {
    const r = await awr(["run", "ops/ops.awr", "-g", "meet", "-i", '{"x": 1}', "--store", "memory:"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("waiting for human: who is it?");
    expect(r.stdout).toContain("this run cannot be resumed: its store is in memory (--store memory:)");
    expect(r.stdout).not.toContain("awr resume");
  });
});
