// `awr worker` on PostgreSQL (DESIGN §9), as processes: a worker SIGKILLed inside a run loses
// nothing — after its claim expires another worker takes the run over and finishes it, and every
// finished effect happened once (the slow idempotent one was cut short and is started again); the
// worker stops on SIGTERM with exit 0.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { afterEach, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { encodePlan } from "../../compiler/plan/index.js";
import { FileHost } from "../../host/source-host.js";
import { enqueueRun } from "../../server/index.js";
import { KEY_FORMAT } from "../../vm/keys.js";
import type { RunStore } from "../../vm/types.js";
import { PG_URL, dropSchema, pgStores, sql } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "awr.mjs");

/** worker/program.awr and effects.mjs in a new directory, compiled: the plan's bytes. */
function program(): { dir: string; bytes: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), "awr-worker-"));
  for (const f of ["program.awr", "effects.mjs"]) copyFileSync(join(import.meta.dirname, "worker", f), join(dir, f));
  const r = compile([join(dir, "program.awr")], new FileHost(), { plan: true });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { dir, bytes: encodePlan(r.plan!) };
}

/** A run stored as `runtime.start` stores one, not executed: what a worker finds queued. */
async function storedRun(store: RunStore, bytes: Uint8Array, runId: string, root: string): Promise<void> {
  const planHash = await Effect.runPromise(store.log.putBlob(bytes));
  const t = Date.now();
  await Effect.runPromise(
    store.log.create({ runId, graph: "g", planHash, input: { n: 1 }, principal: { id: "test", roles: [], attrs: {} }, status: "running", createdAt: t, updatedAt: t, meta: { root, keyFormat: KEY_FORMAT } }),
  );
}

interface WorkerProcess {
  child: ChildProcess;
  /** The JSON reports it printed so far. */
  reports: { kind: string; runId?: string; at: string; [k: string]: unknown }[];
  /** Settles with the first report that `match`es. */
  until(match: (r: WorkerProcess["reports"][number]) => boolean, what: string): Promise<WorkerProcess["reports"][number]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const children: ChildProcess[] = [];

function startWorker(spec: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [BIN, "worker", "--store", spec, "--heartbeat", "1s", "--concurrency", "2", "--json"], { env: { ...process.env, ...env, AWR_STORE: "" }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const reports: WorkerProcess["reports"] = [];
  const waiters: (() => void)[] = [];
  let stderr = "";
  let buf = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => {
    buf += t;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      reports.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((r) => child.on("close", (code, signal) => r({ code, signal, stderr })));
  return {
    child,
    reports,
    exited,
    until(match, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const r = reports.find(match);
          if (r) resolve(r);
        };
        waiters.push(check);
        check();
        void exited.then((x) => reject(new Error(`the worker exited (${x.code ?? x.signal}) before ${what}: ${x.stderr}`)));
      });
    },
  };
}

async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await cleanup?.();
  cleanup = undefined;
});

describe("awr worker on PostgreSQL", () => {
  it("a worker SIGKILLed inside a run: another takes it over after the lease, finishes it, every effect done once", async () => {
    const pg = await pgStores({}, "awr_pg");
    const { dir, bytes } = program();
    cleanup = async () => {
      await pg.cleanup();
      await dropSchema(`${pg.schema}_queue`);
      rmSync(dir, { recursive: true, force: true });
    };
    const spec = `${PG_URL}?schema=${pg.schema}`;
    const store = await pg.open();
    const runId = "worker-kill-1";
    await storedRun(store, bytes, runId, dir);
    await enqueueRun(spec, runId, { cwd: dir });
    const effects = join(dir, "effects.txt");
    const env = { AWR_WORKER_EFFECTS: effects };
    const lines = () => (existsSync(effects) ? readFileSync(effects, "utf8").split("\n").filter(Boolean) : []);

    const w1 = startWorker(spec, env);
    await w1.until((r) => r.kind === "took" && r.runId === runId, "the first worker took the run");
    await waitFor(() => lines().includes("start middle"), "the slow effect to start");
    w1.child.kill("SIGKILL");
    const killedAt = Date.now();
    expect((await w1.exited).signal).toBe("SIGKILL");
    expect(lines()).toEqual(["done first", "start middle"]);

    writeFileSync(`${effects}.go`, "");
    const w2 = startWorker(spec, env);
    const took = await w2.until((r) => r.kind === "took" && r.runId === runId, "the second worker took the run over");
    expect(took["attempt"]).toBeGreaterThanOrEqual(1);
    const finished = await w2.until((r) => r.kind === "finished" && r.runId === runId, "the run finished");
    expect(finished["outcome"]).toMatchObject({ status: "completed", output: "firstmiddlelast" });
    const takeoverMs = Date.parse(took.at) - killedAt;
    // The takeover waits for the claim's lease (3 heartbeats of 1 s) and the next maintenance.
    expect(takeoverMs).toBeGreaterThan(0);
    console.log(`takeover after SIGKILL: ${takeoverMs} ms (heartbeat 1 s, lease 3 s)`);

    // Finished effects once; the slow one cut short by the kill started again (it is idempotent).
    expect(lines().filter((l) => l.startsWith("done")).sort()).toEqual(["done first", "done last", "done middle"]);
    expect(lines().filter((l) => l === "start middle")).toHaveLength(2);
    const loaded = (await Effect.runPromise(store.log.load(runId)))!;
    expect(loaded.snapshot).toMatchObject({ status: "completed", output: "firstmiddlelast" });
    const outcomes = loaded.journal.filter((e) => e.phase === "outcome" && e.kind === "tool").map((e) => e.key);
    expect(outcomes).toHaveLength(3);
    expect(new Set(outcomes).size).toBe(3);

    // The job is completed by the worker that holds it (pg-boss's table: this claim's row).
    const jobStates = async () => (await sql<{ state: string }>(`SELECT state FROM "${pg.schema}_queue".job WHERE data->>'runId' = $1`, [runId])).map((r) => r.state);
    const end0 = Date.now() + 30_000;
    while (!(await jobStates()).includes("completed") && Date.now() < end0) await new Promise((r) => setTimeout(r, 100));
    expect(await jobStates()).toEqual(["completed"]);

    // SIGTERM: stops taking runs and exits 0.
    w2.child.kill("SIGTERM");
    const end = await w2.exited;
    expect(end.code, end.stderr).toBe(0);
    expect(end.stderr).toMatch(/awr worker: stopped/);
  });

  it("a worker paused (SIGSTOP) past its lease: another finishes the run; resumed (SIGCONT), the paused one stores nothing and says it lost the run", async () => {
    const pg = await pgStores({}, "awr_pg");
    const { dir, bytes } = program();
    cleanup = async () => {
      await pg.cleanup();
      await dropSchema(`${pg.schema}_queue`);
      rmSync(dir, { recursive: true, force: true });
    };
    const spec = `${PG_URL}?schema=${pg.schema}`;
    const store = await pg.open();
    const runId = "worker-stop-1";
    await storedRun(store, bytes, runId, dir);
    await enqueueRun(spec, runId, { cwd: dir });
    const effects = join(dir, "effects.txt");
    const env = { AWR_WORKER_EFFECTS: effects };
    const lines = () => (existsSync(effects) ? readFileSync(effects, "utf8").split("\n").filter(Boolean) : []);

    const w1 = startWorker(spec, env);
    await waitFor(() => lines().includes("start middle"), "the slow effect to start");
    w1.child.kill("SIGSTOP");
    writeFileSync(`${effects}.go`, "");
    const w2 = startWorker(spec, env);
    const finished = await w2.until((r) => r.kind === "finished" && r.runId === runId, "the run finished in the second worker");
    expect(finished["outcome"]).toMatchObject({ status: "completed", output: "firstmiddlelast" });
    const done = (await Effect.runPromise(store.log.load(runId)))!;

    w1.child.kill("SIGCONT");
    // Its slow effect ends (the .go file is there), its commit meets the other's: ClaimLost.
    const lost = await w1.until((r) => r.kind === "lost" && r.runId === runId && String(r["message"]).includes("not failed"), "the paused worker reported the lost run");
    expect(String(lost["message"])).toMatch(/moved on by another execution/);
    const after = (await Effect.runPromise(store.log.load(runId)))!;
    expect(after.version).toBe(done.version);
    expect(after.snapshot.status).toBe("completed");
    // Non-idempotent effects once; the idempotent slow one finished in both workers, journaled once.
    expect(lines().filter((l) => l === "done first" || l === "done last")).toEqual(["done first", "done last"]);
    const outcomes = after.journal.filter((e) => e.phase === "outcome" && e.kind === "tool").map((e) => e.key);
    expect(new Set(outcomes).size).toBe(3);
    expect(outcomes).toHaveLength(3);
    expect(w1.reports.some((r) => r.kind === "finished")).toBe(false);
  });
});
