// One execution of a run (start, resume, resolve or recover: vm/runtime.ts): the run's journal
// opened (or taken from the caller), the trace persisted with the journal, the interpreter started
// in a fiber the runtime can cancel, bounded by the run's time limit, and the outcome committed
// with the run's last event.
import { Cause, Duration, Effect, Fiber, type Exit } from "effect";
import type { Plan } from "../../compiler/plan/index.js";
import { Journal } from "../journal.js";
import { keyFormatOf } from "../keys.js";
import type { Breakers } from "../health.js";
import type { ContextProvider, LoadedRun, ModelProvider, RunRecord, RunStore, ToolProvider, VmEvent } from "../types.js";
import { webhookDispatches, type WebhookTarget } from "../webhooks.js";
import type { AgentOptions } from "./agent-call.js";
import { DEFAULT_SNAPSHOT_EVERY } from "./graph.js";
import { Interpreter } from "./interpreter.js";
import type { Mocks } from "./mocks.js";
import { latestSnapshot } from "./snapshot.js";
import type { ExecResult, Observations } from "./types.js";

/** The runtime options an execution reads (RuntimeOptions in vm/runtime.ts has them all). */
export interface ExecOptions {
  store: RunStore;
  models: ModelProvider;
  tools: ToolProvider;
  instant?: boolean;
  captureContent?: boolean;
  contexts?: ContextProvider;
  agents?: AgentOptions;
  snapshots?: { every: number } | false;
  webhook?: WebhookTarget | ((run: RunRecord) => WebhookTarget | undefined);
}

/** What an execution needs from the runtime that starts it. */
export interface RunHost {
  opts: ExecOptions;
  plan: Plan;
  now(): number;
  breakers: Breakers | undefined;
  /** The run as given by the caller, else loaded (RunNotFound when there is none). */
  loadRun(runId: string, given?: LoadedRun): Promise<LoadedRun>;
  /** Under trust, a continued run's stored plan must be trusted too. */
  checkStoredPlan(run: RunRecord): Promise<void>;
  /** Hands an event to the runtime's listeners; `closeEvents` ends a run's event streams. */
  emit(e: VmEvent): void;
  closeEvents(runId: string): void;
  /** Executions in flight (for `cancel`) and the reasons they were cancelled with. */
  running: Map<string, Fiber.Fiber<unknown, unknown>>;
  cancelReasons: Map<string, string>;
}

/** How to execute: mocks (tests), the time limit, an effect to re-issue (`resolve` retry), the run as the caller holds it. */
export interface ExecuteOptions {
  mocks?: Mocks | undefined;
  timeoutMs?: number | undefined;
  reissue?: string | undefined;
  /** The run and its journal as the caller holds them (after resume wrote the answer, after start created it), or a loaded run. */
  from?: { run: RunRecord; journal: Journal } | LoadedRun | undefined;
}

export interface Executed {
  status: RunRecord["status"];
  result: ExecResult;
  observed: Observations;
}

/** One execution of a run; the run is loaded only when the caller does not hold it. */
export async function execute(host: RunHost, runId: string, eo: ExecuteOptions): Promise<Executed> {
  const { run, journal } = await openJournal(host, runId, eo);
  if (eo.reissue !== undefined) journal.reissue.add(eo.reissue);
  const snapshotEvery = host.opts.snapshots === false ? 0 : (host.opts.snapshots?.every ?? DEFAULT_SNAPSHOT_EVERY);
  const emitRun = (e: VmEvent) => {
    journal.event(e);
    host.emit(e);
  };
  await startTrace(journal, run, snapshotEvery).catch((e: unknown) => lost(host, journal, e));
  const interp = interpreterFor(host, run, journal, snapshotEvery, emitRun, eo.mocks);
  const t0 = host.now();
  emitRun({ type: "run.started", runId, graph: run.graph, at: t0 });
  const fiber = Effect.runFork(withTimeLimit(interp.run(run.graph, run.input), eo.timeoutMs));
  host.running.set(runId, fiber as Fiber.Fiber<unknown, unknown>);
  const exit = await Effect.runPromise(Fiber.await(fiber));
  host.running.delete(runId);
  const reason = host.cancelReasons.get(runId);
  host.cancelReasons.delete(runId);
  // Another process moved the run (vm/journal.ts `lost`): no status of ours, the caller is told.
  if (journal.lost) lost(host, journal, journal.lost);
  const result = resultOf(exit, reason);
  const status = await finish(host, run, journal, result, t0);
  return { status, result, observed: interp.observed };
}

/** Ends an execution that lost its run to another process (`ClaimLost`), or that failed with `e`: its event streams close, nothing is stored. */
function lost(host: RunHost, journal: Journal, e: unknown): never {
  if (journal.lost) host.closeEvents(journal.runId);
  throw journal.lost ?? e;
}

async function openJournal(host: RunHost, runId: string, eo: ExecuteOptions): Promise<{ run: RunRecord; journal: Journal }> {
  const from = eo.from;
  if (from && "journal" in from && from.journal instanceof Journal) return from as { run: RunRecord; journal: Journal };
  const loaded = await host.loadRun(runId, from as LoadedRun | undefined);
  await host.checkStoredPlan(loaded.snapshot);
  return { run: loaded.snapshot, journal: new Journal(host.opts.store, runId, loaded, host.now) };
}

/**
 * The run's trace is stored: every event of this execution goes to the store with the next
 * journal commit (and the final status commit), and so do the audit records (vm/journal.ts).
 * Starting from a snapshot, only what came after it is re-executed: the trace stored before it
 * (less a second for clock steps) cannot repeat, so it is not fingerprinted. One store round trip
 * before the run: the trace's fingerprints, then the status commit.
 */
function startTrace(journal: Journal, run: RunRecord, snapshotEvery: number): Promise<unknown> {
  const snap = snapshotEvery > 0 ? latestSnapshot(journal, run.graph) : undefined;
  const persisting = journal.persistTrace(snap ? snap.at - 1000 : undefined);
  return Effect.runPromise(Effect.andThen(persisting, journal.commit([], { status: "running", pending: [] })));
}

function interpreterFor(host: RunHost, run: RunRecord, journal: Journal, snapshotEvery: number, emitRun: (e: VmEvent) => void, mocks: Mocks | undefined): Interpreter {
  const { opts, breakers } = host;
  const runId = run.runId;
  return new Interpreter({
    plan: host.plan,
    runId,
    journal,
    ...(breakers ? breakers.wrap({ models: opts.models, tools: opts.tools }, (c) => emitRun({ type: "breaker", runId, ...c })) : { models: opts.models, tools: opts.tools }),
    mocks,
    principal: run.principal,
    instant: opts.instant ?? false,
    emit: emitRun,
    now: host.now,
    captureContent: opts.captureContent ?? false,
    snapshotEvery,
    ...(opts.contexts ? { contexts: opts.contexts } : {}),
    ...(opts.agents ? { agents: opts.agents } : {}),
    ...sessionOf(run, opts.store),
    keyFormat: keyFormatOf(run.meta),
  });
}

/** The execution bounded by the run's time limit: past it, in-flight calls are interrupted and the run fails `timeout`. */
function withTimeLimit(program: Effect.Effect<ExecResult>, timeoutMs: number | undefined): Effect.Effect<ExecResult> {
  if (timeoutMs === undefined) return program;
  return program.pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(timeoutMs),
      orElse: () =>
        Effect.succeed<ExecResult>({
          status: "failed",
          error: {
            kind: "timeout",
            retryable: true,
            message: `the run took longer than its limit of ${timeoutMs} ms; in-flight calls were aborted, finished steps stay journaled (recover continues it)`,
          },
          state: {},
        }),
    }),
  );
}

/** The result of the execution's fiber: its own, a cancellation, or an internal error of the VM. */
function resultOf(exit: Exit.Exit<ExecResult>, reason: string | undefined): ExecResult {
  if (exit._tag === "Success") return exit.value;
  if (Cause.hasInterrupts(exit.cause)) return { status: "failed", error: { kind: "cancelled", message: reason ?? "the run was cancelled", retryable: true }, state: {} };
  return { status: "failed", error: { kind: "tool", message: `internal error in the VM: ${Cause.pretty(exit.cause).split("\n")[0]}`, retryable: false }, state: {} };
}

/**
 * Commits the run's new status with its last event and its webhook dispatches (DESIGN §8: in the
 * same commit as the status change); listeners see the event once the commit returned.
 */
async function finish(host: RunHost, run: RunRecord, journal: Journal, result: ExecResult, t0: number): Promise<RunRecord["status"]> {
  const runId = run.runId;
  const update: Partial<RunRecord> = { status: result.status === "failed" && result.error.kind === "cancelled" ? "cancelled" : result.status, pending: [] };
  if (result.status === "completed") update.output = result.output;
  if (result.status === "failed" || result.status === "needs_attention") update.error = result.error;
  if (result.status === "suspended") update.pending = result.pending;
  const at = host.now();
  const last: VmEvent =
    result.status === "completed"
      ? { type: "run.completed", runId, output: result.output, at, durationMs: at - t0 }
      : result.status === "suspended"
        ? { type: "run.suspended", runId, pending: result.pending, at }
        : { type: "run.failed", runId, error: result.error, at, durationMs: at - t0 };
  journal.event(last);
  const w = host.opts.webhook;
  const dispatch = webhookDispatches(run, update as Parameters<typeof webhookDispatches>[1], at, typeof w === "function" ? w(run) : w);
  await Effect.runPromise(journal.commit([], update, false, dispatch));
  host.emit(last);
  host.closeEvents(runId);
  return update.status!;
}

/** The session of a run (`meta.sessionId`), as the interpreter's context fields. */
export function sessionOf(run: RunRecord, store: RunStore): { sessionId?: string; sessions?: RunStore["sessions"] } {
  const m = run.meta;
  const id = m !== null && typeof m === "object" && !Array.isArray(m) ? m["sessionId"] : undefined;
  return typeof id === "string" ? { sessionId: id, sessions: store.sessions } : {};
}

