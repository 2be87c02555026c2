// `GET /v1/runs/{id}/events` (DESIGN §8): history then live, `id:` = event sequence,
// Last-Event-ID resumes, `end` when the run stops, heartbeats; across processes through the store
// (a second server on the same SQLite file streams a run the first executes); and a server killed
// mid-stream (SIGKILL), restarted on the same store: the reconnected stream loses and repeats nothing.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "../../server/index.js";
import { call, FIXTURES, readSse, startServer, type SseEvent, type TestServer } from "./harness.js";

const ROOT = join(import.meta.dirname, "..", "..");

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ heartbeatMs: 40 });
});
afterAll(async () => {
  await s?.close();
});

const ids = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
const data = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => e.data);

describe("awr serve: event streams", () => {
  it("streams history then live events with ids 1..n, then `end`; the same again from scratch; Last-Event-ID resumes after it", async () => {
    const { runId } = (await s.call("POST", "/v1/runs", { deployment: "slow", input: { ms: 150, steps: 3 } })).body;
    let during = "";
    const live = await readSse(`${s.url}/v1/runs/${runId}/events`, {
      onEvent: (e) => {
        if (e.id === "2") void s.call("GET", "/metrics").then((m) => (during = m.body));
      },
    });
    expect(live.status).toBe(200);
    const n = ids(live.events).length;
    expect(ids(live.events)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(live.events.at(-1)).toEqual({ event: "end", data: JSON.stringify({ runId, status: "completed" }) });
    expect(JSON.parse(live.events[0]!.data)).toMatchObject({ type: "run.started", runId });
    expect(JSON.parse(data(live.events).at(-1)!)).toMatchObject({ type: "run.completed", output: 150 });
    // Heartbeats (comment lines) while the run executes.
    expect(live.comments).toBeGreaterThan(1);
    expect(during).toMatch(/awr_sse_clients [1-9]/);
    const again = await readSse(`${s.url}/v1/runs/${runId}/events`);
    expect(data(again.events)).toEqual(data(live.events));
    const after = await readSse(`${s.url}/v1/runs/${runId}/events`, { lastEventId: "3" });
    expect(ids(after.events)[0]).toBe(4);
    expect(data(after.events)).toEqual(data(live.events).slice(3));
    expect(after.events.at(-1)?.event).toBe("end");
    expect((await s.call("GET", "/metrics")).body).toMatch(/awr_sse_clients 0/);
  });

  it("a waiting run's stream stays open (heartbeats) through the answer and ends when the run does; 404 for an unknown run; 422 for a bad Last-Event-ID", async () => {
    const { runId } = (await s.call("POST", "/v1/runs", { deployment: "greet", input: { name: "x" } })).body;
    const waiting = (await s.call("GET", `/v1/runs/${runId}?wait=10s`)).body;
    expect(waiting.status).toBe("suspended");
    let answered = false;
    const r = await readSse(`${s.url}/v1/runs/${runId}/events`, {
      onEvent: (e) => {
        // Once the history is read up to the wait, answer it: the same stream carries the rest.
        if (!answered && e.data && JSON.parse(e.data).type === "run.suspended") {
          answered = true;
          setTimeout(() => void s.call("POST", `/v1/runs/${runId}/resume`, { value: "yes" }), 200);
        }
      },
    });
    expect(answered).toBe(true);
    expect(r.comments).toBeGreaterThan(1); // the opening comment, then heartbeats while it waited
    expect(r.events.at(-1)).toEqual({ event: "end", data: JSON.stringify({ runId, status: "completed" }) });
    const types = data(r.events).map((d) => JSON.parse(d).type as string);
    expect(types.indexOf("run.suspended")).toBeLessThan(types.lastIndexOf("run.completed"));
    expect(ids(r.events)).toEqual(Array.from({ length: ids(r.events).length }, (_, i) => i + 1));
    expect((await readSse(`${s.url}/v1/runs/nope/events`)).status).toBe(404);
    expect((await readSse(`${s.url}/v1/runs/${runId}/events`, { lastEventId: "x" })).status).toBe(422);
  });
});

describe("awr serve: event streams across processes", () => {
  it("a second server on the same SQLite store streams a run the first executes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-serve-2-"));
    cpSync(FIXTURES, dir, { recursive: true });
    const opts = { dir, port: 0, host: "127.0.0.1", store: join(dir, "runs.db"), insecureNoAuth: true, cwd: dir, env: {}, pollMs: 50 };
    const watcher = await serve(opts);
    const runner = await serve(opts);
    try {
      const { runId } = (await call(runner.url, "POST", "/v1/runs", { deployment: "slow", input: { ms: 200, steps: 3 } })).body;
      const remote = await readSse(`${watcher.url}/v1/runs/${runId}/events`);
      expect(remote.events.at(-1)).toEqual({ event: "end", data: JSON.stringify({ runId, status: "completed" }) });
      const local = await readSse(`${runner.url}/v1/runs/${runId}/events`);
      expect(data(remote.events)).toEqual(data(local.events));
    } finally {
      await runner.close();
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `awr serve` as a child process on `store`; resolves with its URL once it listens. */
async function child(dir: string, store: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [join(ROOT, "bin", "awr.mjs"), "serve", dir, "--port", "0", "--store", store, "--insecure-no-auth"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on("line", (l) => {
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    proc.on("exit", (code) => reject(new Error(`awr serve exited ${code}: ${err}`)));
  });
  return { proc, url };
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null || p.signalCode !== null ? r(p.exitCode) : p.on("exit", (c) => r(c))));

describe("awr serve: a server killed mid-stream", () => {
  it("SIGKILL, restart on the same store, reconnect with Last-Event-ID: no event lost or repeated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-serve-kill-"));
    cpSync(FIXTURES, dir, { recursive: true });
    const store = join(dir, "runs.db");
    try {
      const first = await child(dir, store);
      const { runId } = (await call(first.url, "POST", "/v1/runs", { deployment: "slow", input: { ms: 400, steps: 3 } })).body;
      const before = await readSse(`${first.url}/v1/runs/${runId}/events`, {
        onEvent: (e) => {
          if (e.id === "4") {
            first.proc.kill("SIGKILL");
            return "stop";
          }
        },
      });
      await exited(first.proc);
      expect(ids(before.events)).toEqual([1, 2, 3, 4]);
      // The restarted server continues the run it finds running (the embedded default).
      const second = await child(dir, store);
      try {
        const resumed = await readSse(`${second.url}/v1/runs/${runId}/events`, { lastEventId: "4" });
        expect(resumed.events.at(-1)?.event).toBe("end");
        const full = await readSse(`${second.url}/v1/runs/${runId}/events`);
        const got = [...before.events, ...resumed.events].filter((e) => e.id !== undefined);
        expect(ids(got)).toEqual(ids(full.events));
        expect(data(got)).toEqual(data(full.events));
        expect(ids(got)).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
        expect(got.length).toBeGreaterThan(4);
      } finally {
        second.proc.kill("SIGTERM");
        expect(await exited(second.proc)).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a run the kill left with an effect in doubt needs attention after the restart; resolve over HTTP checks the value, then finishes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-serve-doubt-"));
    cpSync(FIXTURES, dir, { recursive: true });
    const store = join(dir, "runs.db");
    try {
      const first = await child(dir, store);
      const { runId } = (await call(first.url, "POST", "/v1/runs", { deployment: "charge", input: { ms: 60_000 } })).body;
      // The tool's intent is journaled (an unfinished call in the trace): the kill leaves it in doubt.
      for (;;) {
        const t = (await call(first.url, "GET", `/v1/runs/${runId}/trace`)).body;
        if (t.calls?.some((c: { status: string }) => c.status === "unfinished")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      first.proc.kill("SIGKILL");
      await exited(first.proc);
      const second = await child(dir, store);
      try {
        expect((await call(second.url, "GET", `/v1/runs/${runId}?wait=20s`)).body).toMatchObject({ status: "needs_attention", error: { step: expect.any(String) } });
        const bad = await call(second.url, "POST", `/v1/runs/${runId}/resolve`, { action: "succeeded", value: "paid" });
        expect(bad).toMatchObject({ status: 422, body: { error: { code: "invalid_value" } } });
        expect((await call(second.url, "GET", `/v1/runs/${runId}`)).body.status).toBe("needs_attention");
        expect((await call(second.url, "POST", `/v1/runs/${runId}/resolve`, { action: "succeeded", value: 7, comment: "charged once, says the PSP" })).status).toBe(200);
        expect((await call(second.url, "GET", `/v1/runs/${runId}?wait=20s`)).body).toMatchObject({ status: "completed", output: 7 });
        const audit = (await call(second.url, "GET", `/v1/runs/${runId}/audit`)).body.records;
        expect(audit).toContainEqual(expect.objectContaining({ kind: "operator", hook: "resolve", outcome: "succeeded", by: "anonymous", comment: "charged once, says the PSP" }));
      } finally {
        second.proc.kill("SIGTERM");
        await exited(second.proc);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("SIGTERM stops gracefully: open streams end, the executing run finishes first, exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "awr-serve-term-"));
    cpSync(FIXTURES, dir, { recursive: true });
    const store = join(dir, "runs.db");
    try {
      const first = await child(dir, store);
      const { runId } = (await call(first.url, "POST", "/v1/runs", { deployment: "slow", input: { ms: 300, steps: 3 } })).body;
      const stream = await readSse(`${first.url}/v1/runs/${runId}/events`, {
        onEvent: (e) => {
          if (e.id === "2") first.proc.kill("SIGTERM");
        },
      });
      expect(stream.events.some((e) => e.event === "end")).toBe(false);
      expect(await exited(first.proc)).toBe(0);
      const second = await child(dir, store);
      try {
        expect((await call(second.url, "GET", `/v1/runs/${runId}`)).body).toMatchObject({ status: "completed", output: 300 });
      } finally {
        second.proc.kill("SIGTERM");
        await exited(second.proc);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
