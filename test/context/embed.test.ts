import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LocalEmbedder, OpenAIEmbedder, cosine } from "../../vm/context/embed.js";
import { VmFailure } from "../../vm/types.js";
import { signal } from "./helpers.js";

describe("the local embedder", () => {
  it("is deterministic down to the bit (a golden hash of its vectors)", async () => {
    const e = new LocalEmbedder();
    const [a, b] = await e.embed(["Invoices are collected on the 10th.", "Zürich roaming: 2 EUR/day 🙂"], signal);
    expect(a!.length).toBe(384);
    const digest = createHash("sha256")
      .update(Buffer.from(new Float64Array([...a!, ...b!]).buffer))
      .digest("hex");
    // Integer hashing and a fixed summation order: the same bits on every machine and Node version.
    expect(digest).toBe(GOLDEN);
    expect(e.id).toBe("local-hash-v1/384");
  });

  it("is L2-normalised and measures lexical similarity", () => {
    const e = new LocalEmbedder();
    const v = e.embedOne("refunds take five business days");
    expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    const near = cosine(v, e.embedOne("Refunds take 5 business days."));
    const far = cosine(v, e.embedOne("restart the phone when there is no signal"));
    expect(near).toBeGreaterThan(0.7);
    expect(far).toBeLessThan(0.3);
    expect(e.embedOne("")).toEqual([1, ...new Array(383).fill(0)]);
  });

  it("refuses to work when cancelled", async () => {
    const c = new AbortController();
    c.abort();
    await expect(new LocalEmbedder().embed(["x"], c.signal)).rejects.toMatchObject({ info: { kind: "cancelled" } });
  });
});

// ---------------------------------------------------------------- OpenAI-compatible

interface Fake {
  url: string;
  bodies: any[];
  stop(): Promise<void>;
}

async function fakeEmbeddings(answer: (body: any) => { status: number; body: unknown }): Promise<Fake> {
  const bodies: any[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const body = JSON.parse(raw);
      bodies.push({ path: req.url, auth: req.headers.authorization, ...body });
      const a = answer(body);
      res.writeHead(a.status, { "content-type": "application/json" });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    bodies,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

let fake: Fake | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

describe("the OpenAI-compatible embedder", () => {
  it("POSTs /embeddings in batches and returns the vectors in input order", async () => {
    fake = await fakeEmbeddings((body) => ({
      status: 200,
      // Out of order on purpose: the client sorts by index.
      body: {
        object: "list",
        model: body.model,
        data: body.input.map((t: string, i: number) => ({ object: "embedding", index: i, embedding: [t.length, i, 1] })).reverse(),
        usage: { prompt_tokens: 3, total_tokens: 3 },
      },
    }));
    const e = new OpenAIEmbedder({
      model: "text-embedding-3-small",
      batchSize: 2,
      dimensions: 3,
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.url },
    });
    const v = await e.embed(["a", "bb", "ccc"], signal);
    expect(v).toEqual([
      [1, 0, 1],
      [2, 1, 1],
      [3, 0, 1],
    ]);
    expect(fake.bodies.map((b) => [b.path, b.auth, b.model, b.input, b.encoding_format, b.dimensions])).toEqual([
      ["/v1/embeddings", "Bearer sk-test", "text-embedding-3-small", ["a", "bb"], "float", 3],
      ["/v1/embeddings", "Bearer sk-test", "text-embedding-3-small", ["ccc"], "float", 3],
    ]);
    expect(e.id).toBe(`openai/text-embedding-3-small/3@${fake.url}`);
  });

  it("classifies failures like the model gateway", async () => {
    fake = await fakeEmbeddings(() => ({ status: 401, body: { error: { message: "bad key" } } }));
    const e = new OpenAIEmbedder({ model: "m", env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: fake.url } });
    const err = await e.embed(["x"], signal).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(VmFailure);
    expect((err as VmFailure).info).toMatchObject({ kind: "auth", retryable: false });
    expect((err as VmFailure).message).toMatch(/^embeddings m: HTTP 401/);
    const noKey = await new OpenAIEmbedder({ model: "m", env: {} }).embed(["x"], signal).catch((x: unknown) => x);
    expect((noKey as VmFailure).info).toMatchObject({ kind: "auth", message: "embeddings m: no API key: the environment variable OPENAI_API_KEY is not set" });
  });
});

const GOLDEN = "8bb260216e6e9c101feef71b80ccbe7a88293fc3dcdaf4635b337ab34ee2f6ca";
