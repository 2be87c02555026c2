// The runtime as Effect services, for services written with Effect: provide the store, the model
// gateway and the tools as layers, get an `AwrRuntime` whose operations are effects and whose
// events are a Stream.
import { Context, Data, Effect, Layer, Stream } from "effect";
import type { Plan } from "../compiler/plan/index.js";
import type { Decider, Resolution } from "./operator.js";
import { createRuntime, type RunOutcome, type Runtime, type StartOptions } from "./runtime.js";
import type { Json, ModelProvider, RunStore, ToolProvider, VmEvent } from "./types.js";

export class AwrStore extends Context.Service<AwrStore, RunStore>()("awr/vm/AwrStore") {}
export class AwrModels extends Context.Service<AwrModels, ModelProvider>()("awr/vm/AwrModels") {}
export class AwrTools extends Context.Service<AwrTools, ToolProvider>()("awr/vm/AwrTools") {}

/**
 * A run could not be started, resumed or resolved (unknown graph or run, nothing pending, an answer
 * that does not fit, a store error). `cause` is the runtime's error: a `RunRejection` (vm/operator.ts,
 * with its HTTP `status`) when the request was refused.
 */
export class AwrRuntimeError extends Data.TaggedError("AwrRuntimeError")<{ message: string; cause?: unknown }> {}

export class AwrRuntime extends Context.Service<
  AwrRuntime,
  {
    readonly plan: Plan;
    start(graph: string, input: Json, opts?: Omit<StartOptions, "mocks">): Effect.Effect<RunOutcome, AwrRuntimeError>;
    resume(runId: string, value: Json, opts?: { interruptId?: string } & Decider): Effect.Effect<RunOutcome, AwrRuntimeError>;
    resolve(runId: string, action: Resolution, opts?: Decider): Effect.Effect<RunOutcome, AwrRuntimeError>;
    recover(runId: string): Effect.Effect<RunOutcome, AwrRuntimeError>;
    cancel(runId: string): Effect.Effect<void>;
    events(runId: string): Stream.Stream<VmEvent>;
  }
>()("awr/vm/AwrRuntime") {
  /** The runtime of `plan`, built from the AwrStore, AwrModels and AwrTools services. */
  static layer(plan: Plan, opts: { instant?: boolean } = {}) {
    return Layer.effect(
      AwrRuntime,
      Effect.gen(function* () {
        const rt: Runtime = createRuntime({ plan, store: yield* AwrStore, models: yield* AwrModels, tools: yield* AwrTools, instant: opts.instant ?? false });
        const lift = <A>(f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: (e) => new AwrRuntimeError({ message: e instanceof Error ? e.message : String(e), cause: e }) });
        return AwrRuntime.of({
          plan,
          start: (graph, input, o) => lift(() => rt.start(graph, input, o)).pipe(Effect.map(({ observed: _o, state: _s, ...outcome }) => outcome)),
          resume: (runId, value, o) => lift(() => rt.resume(runId, value, o)),
          resolve: (runId, action, o) => lift(() => rt.resolve(runId, action, o)),
          recover: (runId) => lift(() => rt.recover(runId)),
          cancel: (runId) => Effect.promise(() => rt.cancel(runId)),
          events: (runId) => Stream.fromAsyncIterable(rt.events(runId), (e) => e as never),
        });
      }),
    );
  }
}
