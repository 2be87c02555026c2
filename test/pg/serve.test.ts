// `awr serve --store postgres://…` (DESIGN §8): the server's tables and the runs in one schema; two
// servers on it see the same runs, and one streams a run the other executes.
import { afterAll, describe, expect, it } from "vitest";
import { call, readSse, startServer } from "../server/harness.js";
import { dropSchema, freshSchema, PG_URL } from "./helpers.js";

const schema = freshSchema().replace("awr_test", "awr_srv");
afterAll(async () => {
  await dropSchema(schema);
});

describe("awr serve on PostgreSQL", () => {
  it("starts, lists, resumes and streams runs; a second server on the schema sees and streams them", async () => {
    const store = `${PG_URL}?schema=${schema}`;
    const a = await startServer({ store, pollMs: 50 });
    const b = await startServer({ store, pollMs: 50 });
    try {
      const quick = await a.call("POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, { "idempotency-key": "k1" });
      expect(quick.status).toBe(201);
      expect((await a.call("POST", "/v1/runs", { deployment: "quick", input: { n: 1 } }, { "idempotency-key": "k1" })).body.runId).toBe(quick.body.runId);
      expect((await b.call("GET", `/v1/runs/${quick.body.runId}?wait=10s`)).body).toMatchObject({ status: "completed", output: 2 });
      const greet = (await a.call("POST", "/v1/runs", { deployment: "greet", input: { name: "p" } })).body.runId;
      expect((await a.call("GET", `/v1/runs/${greet}?wait=10s`)).body.status).toBe("suspended");
      expect(await b.call("POST", `/v1/runs/${greet}/resume`, { value: 1 })).toMatchObject({ status: 422 });
      expect((await b.call("POST", `/v1/runs/${greet}/resume`, { value: "hi" })).status).toBe(200);
      expect((await a.call("GET", `/v1/runs/${greet}?wait=10s`)).body).toMatchObject({ status: "completed", output: "hi" });
      const slow = (await a.call("POST", "/v1/runs", { deployment: "slow", input: { ms: 150, steps: 3 } })).body.runId;
      const remote = await readSse(`${b.url}/v1/runs/${slow}/events`);
      expect(remote.events.at(-1)).toEqual({ event: "end", data: JSON.stringify({ runId: slow, status: "completed" }) });
      const local = await readSse(`${a.url}/v1/runs/${slow}/events`);
      expect(remote.events.map((e) => e.data)).toEqual(local.events.map((e) => e.data));
      const list = (await call(b.url, "GET", "/v1/runs?limit=2")).body;
      expect(list.runs).toHaveLength(2);
      expect(list.nextCursor).toEqual(expect.any(String));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
