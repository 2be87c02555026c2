// What the HTTP tests share: a server on 127.0.0.1 port 0 over the fixture programs, JSON calls,
// and an SSE reader.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServeOptions, type Serving } from "../../server/index.js";

export const FIXTURES = join(import.meta.dirname, "fixtures", "app");

export interface TestServer extends Serving {
  dir: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

/** A copy of the fixture programs served with `opts` (memory store unless given). */
export async function startServer(opts: Partial<ServeOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "awr-serve-"));
  cpSync(FIXTURES, dir, { recursive: true });
  const s = await serve({ dir, port: 0, host: "127.0.0.1", store: "memory:", insecureNoAuth: !opts.authenticate, cwd: dir, env: {}, ...opts });
  return {
    ...s,
    dir,
    call: (method, path, body, headers) => call(s.url, method, path, body, headers),
    close: async () => {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined || body instanceof Uint8Array ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, body: parsed as any, headers: res.headers };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an event stream: events as they arrive (`onEvent` may return "stop" to stop reading) and
 * comment lines counted; resolves when the stream ends or was stopped.
 */
export async function readSse(
  url: string,
  opts: { lastEventId?: string; onEvent?: (e: SseEvent) => "stop" | void; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<{ status: number; events: SseEvent[]; comments: number; text: string }> {
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}), ...opts.headers }, ...(opts.signal ? { signal: opts.signal } : {}) });
  const events: SseEvent[] = [];
  let comments = 0;
  if (!res.ok || !res.body) return { status: res.status, events, comments, text: await res.text() };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let stopped = false;
  try {
    while (!stopped) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while (!stopped && (i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const e: SseEvent = { data: "" };
        let isEvent = false;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comments++;
          else if (line.startsWith("id: ")) ((e.id = line.slice(4)), (isEvent = true));
          else if (line.startsWith("event: ")) ((e.event = line.slice(7)), (isEvent = true));
          else if (line.startsWith("data: ")) ((e.data += line.slice(6)), (isEvent = true));
        }
        if (!isEvent) continue;
        events.push(e);
        if (opts.onEvent?.(e) === "stop") stopped = true;
      }
    }
  } catch (e) {
    if ((e as Error).name !== "AbortError" && (e as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET" && (e as Error).message !== "terminated") throw e;
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { status: res.status, events, comments, text: "" };
}
