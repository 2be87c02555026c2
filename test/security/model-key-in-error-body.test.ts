// Attack: an OpenAI-compatible endpoint quotes the API key back — in an error body ("Incorrect API
// key provided: sk-…"), in an echo of the Authorization header, in an answer. The key must appear
// nowhere the run leaves traces: the outcome, the journal and events of a memory or SQLite store,
// `awr run`'s output and `awr trace`. The gateway registers its key as the secret
// `[secret <api_key env var>]` at the redaction boundary (vm/redact-secrets.ts).
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenAIGateway } from "../../vm/gateway/openai.js";
import { createRuntime } from "../../vm/runtime.js";
import { openStore } from "../../vm/store/index.js";
import { validate } from "../../vm/schema.js";
import type { VmEvent } from "../../vm/types.js";
import { noTools, planOf } from "../vm/helpers.js";
import { reply, startFakeOpenAI, type FakeOpenAI, type FakeReply } from "../helpers/fake-openai.js";
import { awr } from "../helpers/awr-cli.js";

const KEY = "sk-live-7Hq2ZpX9wLm4Rt8VbN3cK6dF";
const NAME = "AWR_SEC_MODEL_KEY";
const REDACTED = `[secret ${NAME}]`;

const SOURCE = `
model m {
  provider: "openai"
  name: "gpt-test"
  base_url: env("AWR_SEC_BASE_URL")
  api_key: env("${NAME}")
  timeout: 10s
}
prompt ask(q: string) -> string {
  model: m
  user #"{{ q }}"#
}
graph g(q: string) -> string {
  state { a: string? }
  node n { run ask(q) -> a }
  edge start -> n
  edge n -> end
  return a!
}
`;

/** Every way the probe saw an endpoint quote the key. */
const ATTACKS: [string, () => FakeReply][] = [
  ["401 error body quoting the key", () => reply.status(401, `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`)],
  ["400 error body echoing the Authorization header", () => reply.status(400, `Invalid header authorization: "Bearer ${KEY}"`)],
  ["500 error body quoting the key (retried: retry events carry the error)", () => reply.status(500, `upstream rejected key ${KEY}`)],
  ["403 whose error message is an object (the SDK quotes it as JSON)", () => ({ type: "status", status: 403, body: { error: { message: { reason: "denied", presented: { authorization: `Bearer ${KEY}` } } } } })],
];

let fake: FakeOpenAI;
const scratch = mkdtempSync(join(tmpdir(), "awr-sec-key-"));
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await fake.stop();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function env() {
  return { [NAME]: KEY, AWR_SEC_BASE_URL: fake.url };
}

function storeBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
}

function absent(where: string, text: string | Buffer) {
  const b = Buffer.isBuffer(text) ? text : Buffer.from(text);
  // the key, and any recognisable piece of it (a truncated prefix, its tail)
  for (const needle of [KEY, KEY.slice(0, 12), KEY.slice(-12)]) expect(b.includes(Buffer.from(needle)), `${where} holds ${needle}`).toBe(false);
}

describe("the model API key quoted by the endpoint", () => {
  for (const [what, attack] of ATTACKS) {
    it(`${what}: the gateway's failure holds [secret NAME], never the key`, async () => {
      fake.enqueue(attack());
      const gw = new OpenAIGateway({ validate, env: env() });
      const plan = planOf(SOURCE);
      const err = await gw
        .call({ caller: "ask", model: "m", plan: plan.models.m!, messages: [{ role: "user", content: "hi" }], schema: { type: "string" } } as never, new AbortController().signal)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeDefined();
      // the request did carry the key
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
      absent("the failure", JSON.stringify((err as { info?: unknown }).info ?? null) + String((err as Error).message));
    });
  }

  it("an answer that quotes the key comes back redacted", async () => {
    fake.enqueue(reply.text(`your key is ${KEY}, and base64 of it: ${Buffer.from(`user:${KEY}`).toString("base64")}`));
    const gw = new OpenAIGateway({ validate, env: env() });
    const plan = planOf(SOURCE);
    const res = await gw.call(
      { caller: "ask", model: "m", plan: plan.models.m!, messages: [{ role: "user", content: "hi" }], schema: { type: "string" } } as never,
      new AbortController().signal,
    );
    expect(res.output).toContain(`your key is ${REDACTED}`);
    absent("the answer", JSON.stringify(res));
  });

  for (const storeKind of ["memory", "sqlite"] as const) {
    it(`a failed run (${storeKind} store): outcome, journal and events never hold the key`, async () => {
      fake.enqueue(...ATTACKS.slice(0, 2).map(([, a]) => a()));
      const file = join(scratch, `run-${storeKind}.db`);
      const store = openStore(storeKind === "memory" ? "memory:" : file);
      const events: VmEvent[] = [];
      const rt = createRuntime({
        plan: planOf(SOURCE),
        store,
        models: new OpenAIGateway({ validate, env: env() }),
        tools: noTools,
        instant: true,
        onEvent: (e) => events.push(e),
      });
      const out = await rt.start("g", { q: "hello" });
      expect(out.status).toBe("failed");
      expect(out.error?.message).toContain(REDACTED);
      absent("the outcome", JSON.stringify(out));
      absent("the emitted events", JSON.stringify(events));
      const loaded = store.load(out.runId)!;
      absent("the stored run and journal", JSON.stringify(loaded));
      absent("the stored events", JSON.stringify(store.events(out.runId)));
      store.close();
      if (storeKind === "sqlite") absent("the SQLite file", storeBytes(file));
    });
  }

  it("awr run prints the failure with [secret NAME]; awr trace and the store never show the key", async () => {
    fake.enqueue(ATTACKS[0]![1]());
    const dir = mkdtempSync(join(scratch, "cli-"));
    writeFileSync(join(dir, "main.awr"), SOURCE);
    const db = join(dir, "runs.db");
    const r = await awr(["run", "main.awr", "--input", '{"q":"hello"}', "--store", db], { cwd: dir, env: env() });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(REDACTED);
    absent("awr run's output", r.stdout + r.stderr);
    absent("the SQLite store", storeBytes(db));
    const id = /^run ([0-9a-f-]{36}): failed$/m.exec(r.stdout + r.stderr)?.[1];
    expect(id).toBeDefined();
    const t = await awr(["trace", id!, "--store", db], { cwd: dir });
    expect(t.code, t.stderr).toBe(0);
    absent("awr trace", t.stdout + t.stderr);
  });
});
