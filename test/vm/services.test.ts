// The runtime as Effect services: layers for the store, models and tools; operations as effects.
import { Effect, Fiber, Layer, Stream } from "effect";
import { describe, expect, it } from "vitest";
import { AwrModels, AwrRuntime, AwrRuntimeError, AwrStore, AwrTools } from "../../vm/services.js";
import { MemoryStore } from "../../vm/store/memory.js";
import { VmFailure } from "../../vm/types.js";
import { planOf } from "./helpers.js";

const plan = planOf(`
tool double(n: int) -> int { impl: js("./t.mjs#double") timeout: 1s }
graph g(n: int) -> int {
  state { r: int?, ok: string? }
  node a { run double(n) -> r }
  node b { await human("ok?") -> ok }
  edge start -> a
  edge a -> b
  edge b -> end
  return r!
}`);

const services = Layer.mergeAll(
  Layer.succeed(AwrStore, new MemoryStore()),
  Layer.succeed(AwrModels, { call: async () => Promise.reject(new VmFailure({ kind: "transport", message: "no models", retryable: false })) }),
  Layer.succeed(AwrTools, { call: async (req) => (req.args["n"] as number) * 2 }),
);
const layer = AwrRuntime.layer(plan, { instant: true }).pipe(Layer.provide(services));

describe("AwrRuntime as an Effect service", () => {
  it("starts, streams events, suspends and resumes as effects", async () => {
    const program = Effect.gen(function* () {
      const rt = yield* AwrRuntime;
      const events = yield* Effect.forkChild(Stream.runCollect(rt.events("svc-1")));
      const first = yield* rt.start("g", { n: 21 }, { runId: "svc-1" });
      const seen = yield* Fiber.join(events);
      const done = yield* rt.resume(first.runId, "yes");
      return { first, done, seen };
    });
    const r = await Effect.runPromise(program.pipe(Effect.provide(layer)));
    expect(r.first).toMatchObject({ status: "suspended", pending: [{ kind: "human", reason: "ok?" }] });
    expect(r.done).toMatchObject({ status: "completed", output: 42 });
    expect([...r.seen].map((e) => e.type)).toContain("run.suspended");
  });

  it("fails with a typed error for an unknown graph", async () => {
    const err = await Effect.runPromise(
      Effect.gen(function* () {
        const rt = yield* AwrRuntime;
        return yield* Effect.flip(rt.start("nope", {}));
      }).pipe(Effect.provide(layer)),
    );
    expect(err).toBeInstanceOf(AwrRuntimeError);
    expect(err.message).toMatch(/no graph "nope"/);
  });
});
