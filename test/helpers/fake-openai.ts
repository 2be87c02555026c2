// A local OpenAI-compatible server for tests (node:http on 127.0.0.1, port 0). Each request to
// POST /chat/completions (any prefix, e.g. /v1/chat/completions) takes the next scripted reply;
// a reply may also be a function of the request. Every request body is recorded for assertions.
// Tests must call `stop()` (afterEach/afterAll): it also cuts hanging connections.
//
//   const fake = await startFakeOpenAI([reply.json({ ok: true }), reply.status(500)]);
//   ... new OpenAIGateway({ env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: fake.url } }) ...
//   await fake.stop();
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  /** Serialised with JSON.stringify unless already a string. */
  arguments: unknown;
}

/** One scripted reply. `content`/`json`/`tool_calls` are streamed automatically when the request asks for `stream: true`. */
export type FakeReply =
  | { type: "content"; content: string; usage?: FakeUsage | null; finishReason?: string; refusal?: string }
  | { type: "tool_calls"; calls: FakeToolCall[]; content?: string; usage?: FakeUsage | null }
  /** Explicit SSE chunks of content; `usage` goes in a last chunk without choices (as OpenAI does with include_usage). */
  /** `truncate`: cut the connection after the chunks; `stall`: keep it open, sending nothing more. */
  | { type: "stream"; chunks: string[]; usage?: FakeUsage | null; finishReason?: string | null; truncate?: boolean; stall?: boolean; refusal?: string }
  | { type: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  /** Never answers; the connection stays open until the client aborts or the server stops. */
  | { type: "hang" }
  /** A 200 whose body is not JSON. */
  | { type: "malformed"; body?: string };

export type FakeScript = FakeReply | ((req: RecordedRequest, index: number) => FakeReply);

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: any;
}

export interface FakeOpenAI {
  /** Base URL to give the client, e.g. `http://127.0.0.1:43210/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Appends replies to the script. */
  enqueue(...replies: FakeScript[]): void;
  stop(): Promise<void>;
}

/** Reply builders. */
export const reply = {
  text: (content: string, usage: FakeUsage | null = { prompt_tokens: 10, completion_tokens: 5 }): FakeReply => ({ type: "content", content, usage }),
  json: (value: unknown, usage: FakeUsage | null = { prompt_tokens: 10, completion_tokens: 5 }): FakeReply => ({
    type: "content",
    content: JSON.stringify(value),
    usage,
  }),
  refusal: (refusal: string): FakeReply => ({ type: "content", content: "", refusal, usage: { prompt_tokens: 10, completion_tokens: 2 } }),
  toolCalls: (calls: FakeToolCall[], usage: FakeUsage | null = { prompt_tokens: 10, completion_tokens: 5 }): FakeReply => ({ type: "tool_calls", calls, usage }),
  stream: (chunks: string[], usage: FakeUsage | null = { prompt_tokens: 10, completion_tokens: 5 }): FakeReply => ({ type: "stream", chunks, usage }),
  truncatedStream: (chunks: string[]): FakeReply => ({ type: "stream", chunks, usage: null, truncate: true }),
  stalledStream: (chunks: string[]): FakeReply => ({ type: "stream", chunks, usage: null, stall: true }),
  status: (status: number, message = `fake error ${status}`, headers: Record<string, string> = {}): FakeReply => ({
    type: "status",
    status,
    body: { error: { message, type: "fake_error", code: null } },
    headers,
  }),
  rateLimit: (headers: Record<string, string> = { "retry-after": "2" }): FakeReply => ({
    type: "status",
    status: 429,
    body: { error: { message: "Rate limit reached", type: "rate_limit_exceeded", code: "rate_limit_exceeded" } },
    headers,
  }),
  hang: (): FakeReply => ({ type: "hang" }),
  malformed: (body = '{"id": "x", "choices": [ {"mess'): FakeReply => ({ type: "malformed", body }),
};

export async function startFakeOpenAI(script: FakeScript[] = []): Promise<FakeOpenAI> {
  const queue = [...script];
  const requests: RecordedRequest[] = [];
  const open = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      const index = requests.length;
      requests.push(recorded);
      if (req.method !== "POST" || !(req.url ?? "").endsWith("/chat/completions")) {
        return send(res, 404, { error: { message: `fake-openai: no route ${req.method} ${req.url}` } });
      }
      const next = queue.shift();
      if (next === undefined) return send(res, 500, { error: { message: `fake-openai: no scripted reply for request ${index}` } });
      const r = typeof next === "function" ? next(recorded, index) : next;
      answer(r, recorded, res, open);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function completion(model: string, message: Record<string, unknown>, finishReason: string, usage: FakeUsage | null | undefined) {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1700000000,
    model,
    choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

function chunk(model: string, delta: Record<string, unknown>, finishReason: string | null, usage?: FakeUsage | null) {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1700000000,
    model,
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

const toolCallJson = (c: FakeToolCall, i: number) => ({
  id: c.id ?? `call_${i}`,
  type: "function",
  function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) },
});

function answer(r: FakeReply, req: RecordedRequest, res: http.ServerResponse, open: Set<http.ServerResponse>): void {
  const model = String(req.body?.model ?? "fake-model");
  const streaming = req.body?.stream === true;
  switch (r.type) {
    case "status":
      return send(res, r.status, r.body ?? { error: { message: `fake error ${r.status}` } }, r.headers);
    case "malformed":
      res.writeHead(200, { "content-type": "application/json" });
      res.end(r.body ?? "{");
      return;
    case "hang":
      open.add(res);
      res.on("close", () => open.delete(res));
      return;
    case "content":
      if (streaming) {
        // Split into a few chunks so assembly is exercised.
        const size = Math.max(1, Math.ceil(r.content.length / 3));
        const chunks: string[] = [];
        for (let i = 0; i < r.content.length; i += size) chunks.push(r.content.slice(i, i + size));
        return stream({ type: "stream", chunks, usage: r.usage, finishReason: r.finishReason ?? "stop", refusal: r.refusal }, model, res, open);
      }
      return send(
        res,
        200,
        completion(model, { role: "assistant", content: r.refusal ? null : r.content, refusal: r.refusal ?? null }, r.finishReason ?? "stop", r.usage),
      );
    case "tool_calls": {
      const calls = r.calls.map(toolCallJson);
      if (streaming) {
        open.add(res);
        res.on("close", () => open.delete(res));
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const write = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
        write(chunk(model, { role: "assistant", content: r.content ?? null }, null));
        calls.forEach((c, i) => write(chunk(model, { tool_calls: [{ index: i, ...c }] }, null)));
        write(chunk(model, {}, "tool_calls"));
        if (r.usage) write(chunk(model, {}, null, r.usage));
        res.end("data: [DONE]\n\n");
        return;
      }
      return send(res, 200, completion(model, { role: "assistant", content: r.content ?? null, tool_calls: calls, refusal: null }, "tool_calls", r.usage));
    }
    case "stream":
      return stream(r, model, res, open);
  }
}

function stream(r: Extract<FakeReply, { type: "stream" }>, model: string, res: http.ServerResponse, open: Set<http.ServerResponse>): void {
  open.add(res);
  res.on("close", () => open.delete(res));
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const write = (v: unknown) => res.write(`data: ${JSON.stringify(v)}\n\n`);
  write(chunk(model, { role: "assistant", content: "" }, null));
  if (r.refusal) write(chunk(model, { refusal: r.refusal }, null));
  for (const c of r.chunks) write(chunk(model, { content: c }, null));
  if (r.truncate) {
    // Cut the connection mid-event: no finish_reason, no [DONE].
    res.write('data: {"id":"chatcmpl-fake","choices":[{"index":0,"delta":{"content":"');
    res.destroy();
    return;
  }
  if (r.stall) return;
  if (r.finishReason !== null) write(chunk(model, {}, r.finishReason ?? "stop"));
  if (r.usage) write(chunk(model, {}, null, r.usage));
  res.end("data: [DONE]\n\n");
}
