// The clock and random ids are effects (DESIGN §5): `std/time`'s time_now and `std/random`'s
// random_id are journaled tools, so a resumed run sees the same instant and the same id it saw the
// first time, and `awr replay` reproduces them.
import { describe, expect, it } from "vitest";
import { replayRun } from "../../vm/replay.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/index.js";
import { Tools } from "../../vm/tools/index.js";
import { planOf, noModels } from "./helpers.js";

const SOURCE = `
import "std/time"
import "std/random"
type Stamp { id: string, at: string, note: string }
graph g() -> Stamp {
  state { id: string?, at: string?, note: string? }
  node draw { run random_id() -> id  run time_now() -> at }
  node ask { await human("note?") -> note }
  edge start -> draw
  edge draw -> ask
  edge ask -> end
  return { id: id!, at: at!, note: note! }
}`;

describe("time and random ids are journaled effects", () => {
  it("a resumed run sees the id and the instant of its first execution; replay reproduces them", async () => {
    const plan = planOf(SOURCE);
    const store = new MemoryStore();
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const tools = new Tools({ baseDir: ".", now: () => new Date(clock) });
    const rt = createRuntime({ plan, store, models: noModels, tools, instant: true });
    const first = await rt.start("g", {});
    expect(first.status).toBe("suspended");
    const seen = first.state as { id: string; at: string };
    expect(seen.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen.at).toBe("2026-01-01T00:00:00.000Z");

    clock += 3_600_000; // an hour later, in another execution: the journal answers, not the clock
    const done = await rt.resume(first.runId, "looks good");
    expect(done).toMatchObject({ status: "completed", output: { id: seen.id, at: "2026-01-01T00:00:00.000Z", note: "looks good" } });
    const replay = await replayRun(store, first.runId, plan);
    expect(replay, JSON.stringify(replay)).toMatchObject({ ok: true });

    // A second run draws a new id.
    const other = await rt.start("g", {});
    expect((other.state as { id: string }).id).not.toBe(seen.id);
    await tools.close();
  });
});
