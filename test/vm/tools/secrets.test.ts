// Secrets of http tools: `env("NAME")` in a header (and `{env:NAME}` in a URL) is resolved at call
// time and sent, yet the value appears nowhere the run leaves traces: not in the SQLite store's
// bytes (journal, events, run record, plan blob), not in the events, not in failure messages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRuntime } from "../../../vm/runtime.js";
import { openStore } from "../../../vm/store/index.js";
import { Tools } from "../../../vm/tools/index.js";
import type { VmEvent } from "../../../vm/types.js";
import { planOf, noModels } from "../helpers.js";
import { failure, never, obj, request, STR, toolPlan } from "./helpers.js";

const TOKEN = "tok-9f8e7d6c5b4a-SECRET";
const KEY = "key/with spaces&=42";
let server: Server;
let base = "";
const received: { url: string; authorization?: string }[] = [];
const scratch = mkdtempSync(join(tmpdir(), "awr-secrets-"));

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ url: req.url!, authorization: req.headers.authorization });
    const url = new URL(req.url!, "http://x");
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { "content-type": "text/plain" });
      return res.end("bad token");
    }
    if (url.pathname.startsWith("/fail")) {
      // an error body that quotes the credentials back
      res.writeHead(500, { "content-type": "text/plain" });
      return res.end(`upstream rejected token ${TOKEN} and key ${url.searchParams.get("key")}`);
    }
    // a careless API that echoes what it was sent
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: decodeURIComponent(url.pathname.split("/").pop()!), seen: req.headers.authorization, key: url.searchParams.get("key") }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

const secrets = { AWR_TEST_TOKEN: TOKEN, AWR_TEST_KEY: KEY };
function program(path: string): string {
  return `
type Profile { id: string, seen: string, key: string }
tool profile(id: string) -> Profile {
  impl: http({ method: "GET", url: "${base}/${path}/{id}?key={env:AWR_TEST_KEY}", headers: { authorization: "Bearer {env:AWR_TEST_TOKEN}" } })
  timeout: 5s
}
graph g(id: string) -> Profile {
  state { p: Profile? }
  node load { run profile(id) -> p }
  edge start -> load
  edge load -> end
  return p!
}
`;
}

/** Every byte of a SQLite store: the database file and its write-ahead log. */
function storeBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
}

function mustNotContain(bytes: Buffer | string, what: string) {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  for (const needle of [what, encodeURIComponent(what)]) expect(b.includes(Buffer.from(needle))).toBe(false);
}

describe("secrets of http tools", () => {
  it("sends the secret header, and the value is absent from the store bytes and the events", async () => {
    const file = join(scratch, "ok.db");
    const store = openStore(file);
    const tools = new Tools({ baseDir: scratch, secrets });
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan: planOf(program("profile")), store, models: noModels, tools, instant: true, onEvent: (e) => events.push(e) });
    const out = await rt.start("g", { id: "ada" });
    store.close();
    await tools.close();

    // the server got the real credentials ...
    const last = received.at(-1)!;
    expect(last.authorization).toBe(`Bearer ${TOKEN}`);
    expect(new URL(last.url, "http://x").searchParams.get("key")).toBe(KEY);
    // ... the run sees them redacted ...
    expect(out.status).toBe("completed");
    expect(out.output).toEqual({ id: "ada", seen: "Bearer [secret AWR_TEST_TOKEN]", key: "[secret AWR_TEST_KEY]" });
    // ... and nothing the run left behind holds them
    const bytes = storeBytes(file);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from("[secret AWR_TEST_TOKEN]"))).toBe(true); // the journal is in these bytes
    mustNotContain(bytes, TOKEN);
    mustNotContain(bytes, KEY);
    mustNotContain(JSON.stringify(events), TOKEN);
    mustNotContain(JSON.stringify(events), KEY);
  });

  it("keeps the secrets out of failure messages, the failed run and its store", async () => {
    const file = join(scratch, "fail.db");
    const store = openStore(file);
    const tools = new Tools({ baseDir: scratch, secrets });
    const events: VmEvent[] = [];
    const rt = createRuntime({ plan: planOf(program("fail")), store, models: noModels, tools, instant: true, onEvent: (e) => events.push(e) });
    const out = await rt.start("g", { id: "ada" });
    store.close();
    await tools.close();
    expect(out.status).toBe("failed");
    expect(out.error?.message).toContain("upstream rejected token [secret AWR_TEST_TOKEN] and key [secret AWR_TEST_KEY]");
    mustNotContain(JSON.stringify(out), TOKEN);
    mustNotContain(JSON.stringify(out), KEY);
    mustNotContain(storeBytes(file), TOKEN);
    mustNotContain(storeBytes(file), KEY);
    mustNotContain(JSON.stringify(events), TOKEN);
  });

  it("fails with `auth` naming an unset secret", async () => {
    const plan = toolPlan({
      params: obj({ id: STR }),
      impl: { kind: "http", method: "GET", url: `${base}/profile/{id}`, headers: { authorization: "Bearer {env:AWR_NOT_SET_ANYWHERE}" } },
    });
    const f = await failure(new Tools({ baseDir: scratch, env: {} }).call(request("profile", plan, { id: "x" }), never));
    expect(f).toMatchObject({ kind: "auth", retryable: false });
    expect(f.message).toContain('the secret AWR_NOT_SET_ANYWHERE is not set (env("AWR_NOT_SET_ANYWHERE"))');
  });

  it("reads secrets from the process environment by default", async () => {
    process.env.AWR_TEST_TOKEN_FROM_ENV = TOKEN;
    try {
      const plan = toolPlan({
        params: obj({ id: STR }),
        impl: { kind: "http", method: "GET", url: `${base}/profile/{id}`, headers: { authorization: "Bearer {env:AWR_TEST_TOKEN_FROM_ENV}" } },
      });
      const out = (await new Tools({ baseDir: scratch }).call(request("profile", plan, { id: "x" }), never)) as { seen: string };
      expect(out.seen).toBe("Bearer [secret AWR_TEST_TOKEN_FROM_ENV]");
    } finally {
      delete process.env.AWR_TEST_TOKEN_FROM_ENV;
    }
  });

  it("lowers env(\"NAME\") in a header to a secret hole, never the value", () => {
    const plan = planOf(`
tool t() -> string {
  impl: http({ method: "POST", url: "https://api.example.com/x", headers: { authorization: env("AWR_TEST_TOKEN") } })
}
`);
    expect(plan.tools.t!.impl).toEqual({ kind: "http", method: "POST", url: "https://api.example.com/x", headers: { authorization: "{env:AWR_TEST_TOKEN}" } });
  });
});
