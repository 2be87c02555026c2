// The embedding API: createRuntime({ plan, store, models, tools }) → start / resume / cancel /
// events. Every execution replays the run from its journal (finished effects are served, never
// repeated), so start, resume and recovery after a crash are one code path.
import { randomUUID } from "node:crypto";
import { Cause, Effect, Fiber } from "effect";
import { decodePlan, encodePlan, type Plan } from "../compiler/plan/index.js";
import { Interpreter, Mocks, type ExecResult, type Observations } from "./interpreter.js";
import { Journal } from "./journal.js";
import type { FailureInfo, Json, ModelProvider, PendingInterrupt, RunRecord, RunStatus, RunStore, ToolProvider, VmEvent } from "./types.js";

export interface RuntimeOptions {
  plan: Plan;
  store: RunStore;
  models: ModelProvider;
  tools: ToolProvider;
  /** Skip retry delays (tests). */
  instant?: boolean;
  /** Called with every event of every run. */
  onEvent?: (e: VmEvent) => void;
  now?: () => number;
}

/** DESIGN §6's `--json` shape of run/resume. */
export interface RunOutcome {
  runId: string;
  status: Exclude<RunStatus, "running">;
  output?: Json;
  error?: FailureInfo;
  pending?: { id: string; kind: string; reason: string }[];
}

export interface StartOptions {
  principal?: Json;
  /** Stored with the run (e.g. `{ root }` so another process can find its js tools). */
  meta?: Json;
  runId?: string;
  mocks?: Mocks;
}

export interface Runtime {
  readonly plan: Plan;
  start(graph: string, input: Json, opts?: StartOptions): Promise<RunOutcome & { observed: Observations; state: Record<string, Json> }>;
  /** Answers a pending interrupt (the first one, or `interruptId`) and continues the run. */
  resume(runId: string, value: Json, opts?: { interruptId?: string; mocks?: Mocks }): Promise<RunOutcome>;
  /** Continues a run that stopped without an answer being needed (e.g. after a crash). */
  recover(runId: string): Promise<RunOutcome>;
  /** Interrupts a run executing in this process; it stays resumable. */
  cancel(runId: string): Promise<void>;
  /**
   * Events of a run's current or next execution (start, resume, recover), from the moment of this
   * call until that execution stops.
   */
  events(runId: string): AsyncIterable<VmEvent>;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const now = opts.now ?? Date.now;
  const planBytes = encodePlan(opts.plan);
  const planHash = opts.store.putBlob(planBytes);
  const listeners = new Map<string, Set<(e: VmEvent | null) => void>>();
  const running = new Map<string, Fiber.Fiber<unknown, unknown>>();

  const emit = (e: VmEvent) => {
    opts.onEvent?.(e);
    for (const l of listeners.get(e.runId) ?? []) l(e);
  };
  const closeEvents = (runId: string) => {
    for (const l of listeners.get(runId) ?? []) l(null);
    listeners.delete(runId);
  };

  const execute = async (runId: string, mocks?: Mocks) => {
    const loaded = opts.store.load(runId);
    if (!loaded) throw new Error(`no run ${runId} in this store`);
    const run = loaded.snapshot;
    const journal = new Journal(opts.store, runId, loaded, now);
    journal.commit([], { status: "running", pending: [] });
    const interp = new Interpreter({
      plan: opts.plan,
      runId,
      journal,
      models: opts.models,
      tools: opts.tools,
      mocks,
      principal: run.principal,
      instant: opts.instant ?? false,
      emit,
      now,
    });
    const t0 = now();
    emit({ type: "run.started", runId, graph: run.graph, at: t0 });
    const fiber = Effect.runFork(interp.run(run.graph, run.input));
    running.set(runId, fiber as Fiber.Fiber<unknown, unknown>);
    const exit = await Effect.runPromise(Fiber.await(fiber));
    running.delete(runId);
    const result: ExecResult =
      exit._tag === "Success"
        ? exit.value
        : Cause.hasInterrupts(exit.cause)
          ? { status: "failed", error: { kind: "cancelled", message: "the run was cancelled", retryable: true }, state: {} }
          : { status: "failed", error: { kind: "tool", message: `internal error in the VM: ${Cause.pretty(exit.cause).split("\n")[0]}`, retryable: false }, state: {} };
    const update: Partial<RunRecord> = { status: result.status === "failed" && result.error.kind === "cancelled" ? "cancelled" : result.status, pending: [] };
    if (result.status === "completed") update.output = result.output;
    if (result.status === "failed" || result.status === "needs_attention") update.error = result.error;
    if (result.status === "suspended") update.pending = result.pending;
    journal.commit([], update);
    const at = now();
    if (result.status === "completed") emit({ type: "run.completed", runId, output: result.output, at, durationMs: at - t0 });
    else if (result.status === "suspended") emit({ type: "run.suspended", runId, pending: result.pending, at });
    else emit({ type: "run.failed", runId, error: result.error, at, durationMs: at - t0 });
    closeEvents(runId);
    return { outcome: outcomeOf(runId, update.status as RunOutcome["status"], result), observed: interp.observed, state: result.state };
  };

  return {
    plan: opts.plan,
    async start(graph, input, so = {}) {
      if (!opts.plan.graphs[graph]) throw new Error(`the plan has no graph "${graph}" (it has ${Object.keys(opts.plan.graphs).join(", ") || "none"})`);
      const runId = so.runId ?? randomUUID();
      const t = now();
      opts.store.create({
        runId,
        graph,
        planHash,
        input,
        principal: so.principal ?? { id: "anonymous", roles: [], attrs: {} },
        status: "running",
        createdAt: t,
        updatedAt: t,
        ...(so.meta === undefined ? {} : { meta: so.meta }),
      });
      const r = await execute(runId, so.mocks);
      return { ...r.outcome, observed: r.observed, state: r.state };
    },
    async resume(runId, value, ro = {}) {
      const loaded = opts.store.load(runId);
      if (!loaded) throw new Error(`no run ${runId} in this store`);
      const pending = loaded.snapshot.pending ?? [];
      const p: PendingInterrupt | undefined = ro.interruptId ? pending.find((x) => x.id === ro.interruptId) : pending[0];
      if (!p) {
        throw new Error(
          ro.interruptId
            ? `run ${runId} has no pending interrupt ${ro.interruptId} (pending: ${pending.map((x) => x.id).join(", ") || "none"})`
            : `run ${runId} is ${loaded.snapshot.status}, not waiting for an answer`,
        );
      }
      new Journal(opts.store, runId, loaded, now).answer(p, value);
      return (await execute(runId, ro.mocks)).outcome;
    },
    async recover(runId) {
      return (await execute(runId)).outcome;
    },
    async cancel(runId) {
      const f = running.get(runId);
      if (f) await Effect.runPromise(Fiber.interrupt(f));
    },
    events(runId) {
      // Subscribe now, not when iteration starts: events emitted in between are buffered.
      const queue: (VmEvent | null)[] = [];
      let wake: (() => void) | undefined;
      const l = (e: VmEvent | null) => {
        queue.push(e);
        wake?.();
      };
      listeners.set(runId, new Set([...(listeners.get(runId) ?? []), l]));
      return {
        [Symbol.asyncIterator]() {
          return {
            async next(): Promise<IteratorResult<VmEvent>> {
              while (queue.length === 0) await new Promise<void>((r) => (wake = r));
              const e = queue.shift()!;
              return e === null ? { done: true, value: undefined } : { done: false, value: e };
            },
            async return(): Promise<IteratorResult<VmEvent>> {
              listeners.get(runId)?.delete(l);
              return { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}

function outcomeOf(runId: string, status: RunOutcome["status"], r: ExecResult): RunOutcome {
  const o: RunOutcome = { runId, status };
  if (r.status === "completed") o.output = r.output;
  if (r.status === "failed" || r.status === "needs_attention") o.error = r.error;
  if (r.status === "suspended") o.pending = r.pending.map((p) => ({ id: p.id, kind: p.kind, reason: p.reason }));
  return o;
}

/** The plan a run was started with, from the store (resume in another process). */
export function planOfRun(store: RunStore, runId: string): Plan {
  const run = store.load(runId);
  if (!run) throw new Error(`no run ${runId} in this store`);
  const bytes = store.getBlob(run.snapshot.planHash);
  if (!bytes) throw new Error(`the plan of run ${runId} (${run.snapshot.planHash}) is missing from the store`);
  return decodePlan(bytes);
}
