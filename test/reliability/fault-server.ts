// A fault-injecting OpenAI-compatible chat-completions server for the reliability suite. A share
// of the calls (`faultRate`, 30% by default) fails in one of five ways, drawn by a seeded PRNG:
//
//   429       Too Many Requests with `Retry-After` (seconds, fractional)
//   500       an internal error with a JSON error body
//   hang      the response never starts (the client's timeout must fire; the socket is closed
//             when the client gives up, or by `close()`)
//   malformed a 200 whose body is not JSON (or, streamed, a chunk that is not JSON)
//   truncated the response starts and the connection is cut mid-body (streamed: after one chunk)
//
// The other calls answer `{ "label": "ok", "n": <call number> }` as structured output, streamed
// (server-sent events) when the request asks for `stream: true`. Listens on 127.0.0.1 only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { prng } from "../helpers/prng.js";

export type Fault = "429" | "500" | "hang" | "malformed" | "truncated";
export const FAULTS: readonly Fault[] = ["429", "500", "hang", "malformed", "truncated"];

export interface FaultServer {
  url: string;
  /** How many requests got each outcome ("ok" or a fault). */
  counts: Record<Fault | "ok", number>;
  close(): Promise<void>;
}

export async function startFaultServer(opts: { seed: number; faultRate?: number }): Promise<FaultServer> {
  const rand = prng(opts.seed);
  const rate = opts.faultRate ?? 0.3;
  const counts: FaultServer["counts"] = { ok: 0, "429": 0, "500": 0, hang: 0, malformed: 0, truncated: 0 };
  const sockets = new Set<Socket>();
  let calls = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      let parsed: { stream?: boolean; model?: string } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "bad request body" } }));
        return;
      }
      const n = ++calls;
      const fault: Fault | "ok" = rand() < rate ? FAULTS[Math.floor(rand() * FAULTS.length)]! : "ok";
      counts[fault]++;
      const stream = parsed.stream === true;
      const content = JSON.stringify({ label: "ok", n });
      switch (fault) {
        case "429":
          res.writeHead(429, { "content-type": "application/json", "retry-after": "0.02" });
          res.end(JSON.stringify({ error: { message: "rate limited", type: "rate_limit_error" } }));
          return;
        case "500":
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: "upstream exploded", type: "server_error" } }));
          return;
        case "hang":
          return; // never answer; the socket closes when the client aborts or the server closes
        case "malformed":
          if (stream) {
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.end(`data: {"id": "x", "choices": [ {"delta": \n\n`);
          } else {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(`{"id": "chatcmpl-${n}", "choices": [{"message": {"content": `);
          }
          return;
        case "truncated": {
          if (stream) {
            res.writeHead(200, { "content-type": "text/event-stream" });
            res.write(`data: ${JSON.stringify(chunk(n, parsed.model, content.slice(0, 5)))}\n\n`);
          } else {
            const full = JSON.stringify(completion(n, parsed.model, content));
            res.writeHead(200, { "content-type": "application/json", "content-length": String(full.length) });
            res.write(full.slice(0, Math.floor(full.length / 2)));
          }
          setTimeout(() => res.socket?.destroy(), 5);
          return;
        }
        case "ok":
          if (stream) {
            res.writeHead(200, { "content-type": "text/event-stream" });
            const mid = Math.floor(content.length / 2);
            res.write(`data: ${JSON.stringify(chunk(n, parsed.model, content.slice(0, mid)))}\n\n`);
            res.write(`data: ${JSON.stringify(chunk(n, parsed.model, content.slice(mid), "stop"))}\n\n`);
            res.write(`data: ${JSON.stringify({ ...chunk(n, parsed.model, "", null), choices: [], usage: usage() })}\n\n`);
            res.end("data: [DONE]\n\n");
          } else {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(completion(n, parsed.model, content)));
          }
      }
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    counts,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const usage = () => ({ prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 });

function completion(n: number, model: string | undefined, content: string) {
  return {
    id: `chatcmpl-${n}`,
    object: "chat.completion",
    created: 1_700_000_000,
    model: model ?? "fault",
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
    usage: usage(),
  };
}

function chunk(n: number, model: string | undefined, content: string, finish: string | null = null) {
  return {
    id: `chatcmpl-${n}`,
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: model ?? "fault",
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  };
}
