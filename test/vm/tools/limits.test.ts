// Rate limits under a burst and concurrency limits per tool, observed at the moment calls reach the
// network (an http tool over a recording fetch).
import { describe, expect, it } from "vitest";
import { Tools } from "../../../vm/tools/index.js";
import { failure, never, NUM, obj, request, toolPlan } from "./helpers.js";

/** A fetch that records when each request arrived and how many were in flight, answering after `holdMs`. */
function recordingFetch(holdMs = 0) {
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = async (_url: string | URL | Request, _init?: RequestInit) => {
    starts.push(performance.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, holdMs));
    inFlight--;
    return new Response(JSON.stringify(starts.length), { headers: { "content-type": "application/json" } });
  };
  return { fetch: fetch as typeof globalThis.fetch, starts, max: () => maxInFlight };
}

const ping = (over = {}) =>
  toolPlan({ params: obj({ i: NUM }), returns: NUM, impl: { kind: "http", method: "GET", url: "http://127.0.0.1:9/ping", headers: {} }, ...over });

/** A signal per call, as the interpreter gives (a shared one would collect many listeners). */
const fresh = () => new AbortController().signal;

/** The largest number of calls that started within any window of `ms`. */
function maxInWindow(starts: number[], ms: number): number {
  const s = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("rate limits", () => {
  it("admits a burst of `count` at once, then never more than `count` per period", async () => {
    const rec = recordingFetch();
    const tools = new Tools({ baseDir: import.meta.dirname, fetch: rec.fetch });
    const plan = ping({ rate: { count: 5, per_ms: 200 } });
    await tools.call(request("warm_up", plan, { i: 0 }), fresh()); // its own bucket; warms the code path
    rec.starts.length = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 15 }, (_, i) => tools.call(request("ping", plan, { i }), fresh())));
    const rel = rec.starts.map((t) => t - t0).sort((a, b) => a - b);
    expect(rel).toHaveLength(15);
    // the first five go at once (the burst the bucket holds) ...
    expect(rel[4]!).toBeLessThan(100);
    // ... and no 200 ms window ever sees more than five (180: a margin for scheduling jitter between
    // taking a token and reaching fetch; without the limit all fifteen land in one such window)
    expect(maxInWindow(rec.starts, 180)).toBeLessThanOrEqual(5);
    // so fifteen calls need two more periods
    expect(rel[14]!).toBeGreaterThanOrEqual(380);
    await tools.close();
  });
});

describe("concurrency limits", () => {
  it("keeps at most `concurrency` calls of a tool in flight", async () => {
    const rec = recordingFetch(60);
    const tools = new Tools({ baseDir: import.meta.dirname, fetch: rec.fetch });
    await Promise.all(Array.from({ length: 6 }, (_, i) => tools.call(request("ping", ping({ concurrency: 2 }), { i }), fresh())));
    expect(rec.max()).toBe(2);
    expect(rec.starts).toHaveLength(6);
    await tools.close();
  });

  it("applies the provider's default to tools that declare none, and a tool's own limit over it", async () => {
    const rec = recordingFetch(40);
    const tools = new Tools({ baseDir: import.meta.dirname, fetch: rec.fetch, concurrency: 1 });
    await Promise.all(Array.from({ length: 4 }, (_, i) => tools.call(request("ping", ping(), { i }), fresh())));
    expect(rec.max()).toBe(1);
    const rec3 = recordingFetch(40);
    const three = new Tools({ baseDir: import.meta.dirname, fetch: rec3.fetch, concurrency: 1 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => three.call(request("ping", ping({ concurrency: 3 }), { i }), fresh())));
    expect(rec3.max()).toBe(3);
  });

  it("without a limit, calls run together", async () => {
    const rec = recordingFetch(40);
    const tools = new Tools({ baseDir: import.meta.dirname, fetch: rec.fetch });
    await Promise.all(Array.from({ length: 5 }, (_, i) => tools.call(request("ping", ping(), { i }), fresh())));
    expect(rec.max()).toBe(5);
  });

  it("cancels a call waiting for a slot", async () => {
    const rec = recordingFetch(300);
    const tools = new Tools({ baseDir: import.meta.dirname, fetch: rec.fetch });
    const plan = ping({ concurrency: 1 });
    const first = tools.call(request("ping", plan, { i: 1 }), never);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    const f = await failure(tools.call(request("ping", plan, { i: 2 }), ctl.signal));
    expect(f).toMatchObject({ kind: "cancelled", retryable: false });
    expect(f.message).toContain("concurrency limit");
    await first;
    expect(rec.starts).toHaveLength(1);
  });
});
