// The embedding API: createRuntime({ plan, store, models, tools }) → start / resume / cancel /
// events. Every execution replays the run from its journal (finished effects are served, never
// repeated), so start, resume and recovery after a crash are one code path.
import { createHash, randomUUID } from "node:crypto";
import { Effect, Fiber } from "effect";
import { decodePlan, encodePlan, verifyPlanSignature, type KeyInput, type Plan } from "../compiler/plan/index.js";
import type { Mocks, Observations } from "./exec/interpreter.js";
import { execute, type Executed, type RunHost } from "./exec/run.js";
import { Journal } from "./journal.js";
import { KEY_FORMAT } from "./keys.js";
import { InvalidResumeValue, NotWaiting, RunNotFound, checkAnswer, checkInputLimits, checkResult, decisionRecord, effectInDoubt, type Decider, type Resolution } from "./operator.js";
import { Breakers, type BreakerOptions } from "./health.js";
import type { AgentOptions } from "./exec/agent.js";
import { BlobMissing } from "./ports/errors.js";
import type { ContextProvider, FailureInfo, Json, LoadedRun, ModelProvider, PendingInterrupt, RunRecord, RunStatus, RunStore, ToolProvider, VmEvent } from "./types.js";
import type { WebhookTarget } from "./webhooks.js";

export interface RuntimeOptions {
  /**
   * The plan, or the bytes of its `.awrp` file: bytes are stored as they are (a signature travels
   * with the plan into the store), a `Plan` is encoded unsigned.
   */
  plan: Plan | Uint8Array;
  /**
   * Public keys (PEM or KeyObject) whose signed plans may run (docs/plan.md § Signatures). Given
   * (even empty), the plan must be the bytes of a plan signed by one of them, unchanged since, and
   * so must the stored plan of every run continued (resume, resolve, recover): else
   * `PlanTrustError` before anything runs or is stored. Absent, signatures are not checked.
   */
  trust?: readonly KeyInput[];
  store: RunStore;
  models: ModelProvider;
  tools: ToolProvider;
  /** Skip retry delays (tests). */
  instant?: boolean;
  /** Called with every event of every run. */
  onEvent?: (e: VmEvent) => void;
  now?: () => number;
  /**
   * Circuit breakers per model declaration and per tool (docs/observability.md): on by default;
   * options, a shared `Breakers` instance, or false to turn them off.
   */
  breakers?: Breakers | BreakerOptions | false;
  /** Effect events carry requests and answers (for tracing with content capture). Off by default. */
  captureContent?: boolean;
  /** Assembles `context` declarations for agents (docs/agents.md); without it an agent's context is skipped with a `warning` event. */
  contexts?: ContextProvider;
  /** Bounds of agent calls: repair rounds (default 2) and handoffs per call (default 5). */
  agents?: AgentOptions;
  /**
   * The longest one execution (start, resume or recover) of a run may take, in ms (default: no
   * limit; `timeoutMs` of start/resume/recover overrides it). Past it the execution is interrupted
   * like `cancel` — in-flight model and tool calls are aborted and journal no outcome — and the run
   * ends `failed` with kind `timeout`; `recover` continues it from the journal.
   */
  runTimeoutMs?: number;
  /**
   * Snapshots of the top-level graph (docs/vm.md § Snapshots): at most every N supersteps (default
   * 100; the interval also grows with the snapshot's size), so a resume re-executes only what came
   * after the latest one. `false` turns them off.
   */
  snapshots?: { every: number } | false;
  /**
   * Webhooks out (DESIGN §8) of every run this runtime executes (a deployment's): the lifecycle
   * events of a run go to the outbox with its status commits (vm/webhooks.ts), to this target —
   * or the one the function gives for the run — besides the run's own (`StartOptions.webhook`).
   */
  webhook?: WebhookTarget | ((run: RunRecord) => WebhookTarget | undefined);
}

/** DESIGN §6's `--json` shape of run/resume. */
export interface RunOutcome {
  runId: string;
  status: Exclude<RunStatus, "running">;
  output?: Json;
  error?: FailureInfo;
  /** `key`: an `await event("name", key: …)`'s correlation value. */
  pending?: { id: string; kind: string; reason: string; key?: string | number }[];
}

export interface StartOptions {
  principal?: Json;
  /** Stored with the run (e.g. `{ root }` so another process can find its js tools). */
  meta?: Json;
  runId?: string;
  mocks?: Mocks;
  /**
   * The conversation this run continues (docs/agents.md): agents read the session's history from
   * the store and append their turns to it. Kept in the run's `meta.sessionId`, so a resumed run
   * (in any process) continues the same session.
   */
  sessionId?: string;
  /** The time limit of this execution, in ms (overrides `runTimeoutMs`). */
  timeoutMs?: number;
  /** Where this run's lifecycle events are posted (DESIGN §8 webhooks out); kept in its `meta.webhook`, so any process continuing it sends them. */
  webhook?: WebhookTarget;
}

export interface Runtime {
  readonly plan: Plan;
  start(graph: string, input: Json, opts?: StartOptions): Promise<RunOutcome & { observed: Observations; state: Record<string, Json> }>;
  /**
   * Answers a pending interrupt (the first one, or `interruptId`) and continues the run. The answer
   * is checked first against what the interrupt waits for (the awaited field's type; an approval
   * takes `true`, `false` or `{ approved, comment? }`): a mismatch throws `InvalidResumeValue` and
   * nothing is stored. An unknown run throws `RunNotFound`, one not waiting (for that interrupt)
   * `NotWaiting`. `by`/`comment` go into the audit record of the decision (`kind: "operator"`).
   */
  resume(runId: string, value: Json, opts?: { interruptId?: string; mocks?: Mocks; timeoutMs?: number } & Continued & Decider): Promise<RunOutcome>;
  /**
   * Finishes a `needs_attention` run (an effect that is not idempotent started and never reported
   * back): `succeeded` records the result it had (checked against the tool's return type, else
   * `InvalidResumeValue`), `retry` re-issues it once with the same idempotency key, `fail` records it
   * as failed (the node's retry, `on error` and compensations then run as for any failure); then the
   * run continues. A run in another status throws `NotNeedingAttention`. Audited like `resume`.
   */
  resolve(runId: string, action: Resolution, opts?: { timeoutMs?: number } & Continued & Decider): Promise<RunOutcome>;
  /**
   * Continues a run that stopped without an answer being needed (e.g. after a crash). Like every
   * execution, it rejects with `ClaimLost` when another execution moves the run on meanwhile: it
   * then stored nothing more and the run is not failed (docs/vm.md § Losing a run).
   */
  recover(runId: string, opts?: { timeoutMs?: number } & Continued): Promise<RunOutcome>;
  /**
   * Interrupts a run executing in this process; it ends `cancelled` (kind `cancelled`, with `reason`
   * as its message when given) and stays resumable (`recover`).
   */
  cancel(runId: string, reason?: string): Promise<void>;
  /**
   * Events of a run's current or next execution (start, resume, recover), from the moment of this
   * call until that execution stops.
   */
  events(runId: string): AsyncIterable<VmEvent>;
}

/**
 * A run the caller has just loaded (`store.log.load`, e.g. to find its stored plan): resume,
 * resolve and recover continue from it instead of loading it again. Its version guards it: had
 * another writer committed since, the first commit fails and the call rejects with `ClaimLost`.
 */
export interface Continued {
  loaded?: LoadedRun;
}

/** Runs one store call for a Promise caller: its value, or a rejection with its tagged error. */
const now$ = <A, E>(e: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(e);

export function createRuntime(opts: RuntimeOptions): Runtime {
  const now = opts.now ?? Date.now;
  const stored = runtimePlan(opts);
  const hub = eventHub(opts.onEvent);
  const host: RunHost = {
    opts,
    plan: stored.plan,
    now,
    breakers: opts.breakers === false ? undefined : opts.breakers instanceof Breakers ? opts.breakers : new Breakers({ now, ...opts.breakers }),
    loadRun: async (runId, given) => {
      const loaded = given && given.snapshot.runId === runId ? given : await now$(opts.store.log.load(runId));
      if (!loaded) throw new RunNotFound(runId);
      return loaded;
    },
    checkStoredPlan: stored.checkStoredPlan,
    emit: hub.emit,
    closeEvents: hub.close,
    running: new Map(),
    cancelReasons: new Map(),
  };
  const limit = (ms: number | undefined) => {
    const t = ms ?? opts.runTimeoutMs;
    checkTimeout(t);
    return t;
  };
  const rt: Core = { opts, host, stored, limit };
  return {
    plan: stored.plan,
    start: (graph, input, so = {}) => start(rt, graph, input, so),
    resume: (runId, value, ro = {}) => resume(rt, runId, value, ro),
    resolve: (runId, action, ro = {}) => resolve(rt, runId, action, ro),
    async recover(runId, ro = {}) {
      const timeoutMs = rt.limit(ro.timeoutMs);
      return outcomeOf(runId, await execute(host, runId, { timeoutMs, from: ro.loaded }));
    },
    async cancel(runId, reason) {
      const f = host.running.get(runId);
      if (!f) return;
      if (reason !== undefined) host.cancelReasons.set(runId, reason);
      await Effect.runPromise(Fiber.interrupt(f));
    },
    events: hub.events,
  };
}

/** What the operations of a runtime share: its options, the execution host, the plan it stores. */
interface Core {
  opts: RuntimeOptions;
  host: RunHost;
  stored: RuntimePlan;
  /** The time limit of one execution (the call's, else the runtime's), checked: a bad one throws. */
  limit(ms: number | undefined): number | undefined;
}

interface RuntimePlan {
  plan: Plan;
  /** Blobs are content-addressed (sha256 hex): the plan's hash is known before it is stored. */
  planHash: string;
  /** Stores the plan once (the first start does; a runtime that only continues runs stores nothing of its own). */
  storePlan(): Promise<unknown>;
  /** Under trust, a continued run's stored plan must be trusted too (it may not be this runtime's). */
  checkStoredPlan(run: RunRecord): Promise<void>;
}

/** The runtime's plan: checked against the trusted keys before it is stored or read (an untrusted plan leaves no trace). */
function runtimePlan(opts: RuntimeOptions): RuntimePlan {
  const planBytes = opts.plan instanceof Uint8Array ? opts.plan : encodePlan(opts.plan);
  if (opts.trust) verifyPlanSignature(planBytes, opts.trust);
  const plan = opts.plan instanceof Uint8Array ? decodePlan(opts.plan) : opts.plan;
  const planHash = createHash("sha256").update(planBytes).digest("hex");
  let planStored: Promise<unknown> | undefined;
  return {
    plan,
    planHash,
    storePlan: () =>
      (planStored ??= now$(opts.store.log.putBlob(planBytes)).catch((e: unknown) => {
        planStored = undefined;
        throw e;
      })),
    checkStoredPlan: async (run) => {
      if (!opts.trust || run.planHash === planHash) return;
      const bytes = await now$(opts.store.log.getBlob(run.planHash));
      if (!bytes) throw new BlobMissing(run.planHash, `the plan of run ${run.runId}`);
      verifyPlanSignature(bytes, opts.trust);
    },
  };
}

/** Events of every run to `onEvent`, and of one run to the streams `events(runId)` opened. */
function eventHub(onEvent: ((e: VmEvent) => void) | undefined) {
  const listeners = new Map<string, Set<(e: VmEvent | null) => void>>();
  return {
    emit(e: VmEvent) {
      onEvent?.(e);
      for (const l of listeners.get(e.runId) ?? []) l(e);
    },
    close(runId: string) {
      for (const l of listeners.get(runId) ?? []) l(null);
      listeners.delete(runId);
    },
    events(runId: string): AsyncIterable<VmEvent> {
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

/** A new run: checked, stored with its plan, then executed from its empty journal. */
async function start(rt: Core, graph: string, input: Json, so: StartOptions): Promise<RunOutcome & { observed: Observations; state: Record<string, Json> }> {
  const { opts, host, stored } = rt;
  const { plan } = stored;
  if (!Object.hasOwn(plan.graphs, graph)) throw new Error(`the plan has no graph "${graph}" (it has ${Object.keys(plan.graphs).join(", ") || "none"})`);
  const timeoutMs = rt.limit(so.timeoutMs);
  // Input over the size or nesting limit is refused before a run is stored (InvalidInput).
  checkInputLimits(plan, graph, input);
  const runId = so.runId ?? randomUUID();
  const t = host.now();
  await stored.storePlan();
  const record: RunRecord = {
    runId,
    graph,
    planHash: stored.planHash,
    input,
    principal: so.principal ?? { id: "anonymous", roles: [], attrs: {} },
    status: "running",
    createdAt: t,
    updatedAt: t,
    ...withKeyFormat(withWebhook(withSession(so.meta, so.sessionId).meta, so.webhook).meta),
  };
  await now$(opts.store.log.create(record));
  // A new run: version 0, an empty journal (what load would answer).
  const journal = new Journal(opts.store, runId, { snapshot: record, journal: [], version: 0 }, host.now);
  const r = await execute(host, runId, { mocks: so.mocks, timeoutMs, from: { run: record, journal } });
  return { ...outcomeOf(runId, r), observed: r.observed, state: r.result.state };
}

type ResumeOptions = Parameters<Runtime["resume"]>[2] & {};

/** Answers a pending interrupt (checked before anything is stored), then continues the run. */
async function resume(rt: Core, runId: string, value: Json, ro: ResumeOptions): Promise<RunOutcome> {
  const { host } = rt;
  const timeoutMs = rt.limit(ro.timeoutMs);
  const loaded = await host.loadRun(runId, ro.loaded);
  await host.checkStoredPlan(loaded.snapshot);
  const pending = loaded.snapshot.pending ?? [];
  const p: PendingInterrupt | undefined = ro.interruptId ? pending.find((x) => x.id === ro.interruptId) : pending[0];
  if (!p) {
    throw new NotWaiting(
      ro.interruptId
        ? `run ${runId} has no pending interrupt ${ro.interruptId} (pending: ${pending.map((x) => x.id).join(", ") || "none"})`
        : `run ${runId} is ${loaded.snapshot.status}, not waiting for an answer`,
      runId,
      loaded.snapshot.status,
    );
  }
  // Checked before anything is stored: a refused answer leaves the run suspended as it was.
  const answer = checkAnswer(rt.stored.plan, runId, p, value);
  const isObject = typeof answer === "object" && answer !== null && !Array.isArray(answer);
  const outcome = p.kind === "approval" ? (answer === true || (isObject && answer["approved"] === true) ? "approved" : "rejected") : "answered";
  const comment = ro.comment ?? (p.kind === "approval" && isObject && typeof answer["comment"] === "string" ? answer["comment"] : undefined);
  const record = decisionRecord(
    loaded.snapshot,
    { step: p.id, hook: "resume", target: p.kind, ...(p.kind === "approval" ? { rule: p.step } : {}), outcome, reason: p.reason },
    { ...(ro.by !== undefined ? { by: ro.by } : {}), ...(comment !== undefined ? { comment } : {}) },
    host.now(),
  );
  // The answer and the execution share one journal: the run is loaded once per resume.
  const journal = new Journal(rt.opts.store, runId, loaded, host.now);
  await now$(journal.answer(p, answer, [record]));
  return outcomeOf(runId, await execute(host, runId, { mocks: ro.mocks, timeoutMs, from: { run: loaded.snapshot, journal } }));
}

type ResolveOptions = Parameters<Runtime["resolve"]>[2] & {};

/** Settles the effect in doubt of a `needs_attention` run (succeeded, failed, or re-issued), then continues it. */
async function resolve(rt: Core, runId: string, action: Resolution, ro: ResolveOptions): Promise<RunOutcome> {
  const { host } = rt;
  const timeoutMs = rt.limit(ro.timeoutMs);
  const loaded = await host.loadRun(runId, ro.loaded);
  await host.checkStoredPlan(loaded.snapshot);
  const { intent, tool } = effectInDoubt(loaded);
  const who: Decider = { ...(ro.by !== undefined ? { by: ro.by } : {}), ...(ro.comment !== undefined ? { comment: ro.comment } : {}) };
  const target = tool ?? intent.kind;
  const journal = new Journal(rt.opts.store, runId, loaded, host.now);
  const decided = (outcome: string, reason?: string) => [decisionRecord(loaded.snapshot, { step: intent.key, hook: "resolve", target, outcome, ...(reason !== undefined ? { reason } : {}) }, who, host.now())];
  let reissue: string | undefined;
  if ("succeeded" in action) {
    const value = checkResult(rt.stored.plan, runId, tool, action.succeeded);
    await now$(journal.resolved(intent, { value }, decided("succeeded")));
  } else if ("fail" in action) {
    const reason = action.fail.trim();
    if (!reason) throw new InvalidResumeValue(runId, "the failure of the effect in doubt", "a reason", ["the reason is empty"]);
    const error: FailureInfo = { kind: "tool", step: intent.key, retryable: true, message: `${target} failed (resolved by an operator): ${reason}` };
    await now$(journal.resolved(intent, { error }, decided("failed", reason)));
  } else {
    await now$(journal.record(decided("retried")));
    reissue = intent.key;
  }
  return outcomeOf(runId, await execute(host, runId, { timeoutMs, reissue, from: { run: loaded.snapshot, journal } }));
}

function checkTimeout(ms: number | undefined) {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) throw new Error(`the run time limit must be a positive number of ms, got ${ms}`);
}

function outcomeOf(runId: string, { status, result: r }: Executed): RunOutcome {
  const o: RunOutcome = { runId, status: status as RunOutcome["status"] };
  if (r.status === "completed") o.output = r.output;
  if (r.status === "failed" || r.status === "needs_attention") o.error = r.error;
  if (r.status === "suspended") o.pending = r.pending.map((p) => (p.key === undefined ? { id: p.id, kind: p.kind, reason: p.reason } : { id: p.id, kind: p.kind, reason: p.reason, key: p.key }));
  return o;
}

/** The run's `meta` with the session id added (meta must then be an object or absent). */
function withSession(meta: Json | undefined, sessionId: string | undefined): { meta?: Json } {
  if (sessionId === undefined) return meta === undefined ? {} : { meta };
  if (sessionId === "") throw new Error("the session id is empty");
  if (meta !== undefined && (meta === null || typeof meta !== "object" || Array.isArray(meta))) throw new Error("a run with a session id needs an object (or no) meta");
  return { meta: { ...(meta ?? {}), sessionId } };
}

/** The run's `meta` with its webhook target (meta must then be an object or absent). */
function withWebhook(meta: Json | undefined, webhook: WebhookTarget | undefined): { meta?: Json } {
  if (webhook === undefined) return meta === undefined ? {} : { meta };
  if (typeof webhook.url !== "string" || !/^https?:\/\//.test(webhook.url)) throw new Error(`the webhook url must be an http(s) URL, got ${JSON.stringify(webhook.url)}`);
  if (meta !== undefined && (meta === null || typeof meta !== "object" || Array.isArray(meta))) throw new Error("a run with a webhook needs an object (or no) meta");
  return { meta: { ...(meta ?? {}), webhook: { url: webhook.url } } };
}

/**
 * The run's `meta` with the key format of its journal (vm/keys.ts `KEY_FORMAT`), which the run keeps
 * for life. A meta that is not an object (or absent) cannot carry it: such a run keeps key format 1.
 */
function withKeyFormat(meta: Json | undefined): { meta?: Json } {
  if (meta === undefined) return { meta: { keyFormat: KEY_FORMAT } };
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return { meta };
  return { meta: { ...meta, keyFormat: KEY_FORMAT } };
}

/** The plan a run was started with, from the store (resume in another process). */
export async function planOfRun(store: RunStore, run: string | LoadedRun): Promise<Plan> {
  return (await storedPlanOfRun(store, run)).plan;
}

/**
 * The plan a run was started with and its stored bytes (signed as it was given, if it was). Given
 * the loaded run (`store.log.load`), only its plan is read: pass it on to resume as `loaded`.
 */
export async function storedPlanOfRun(store: RunStore, run: string | LoadedRun): Promise<{ plan: Plan; bytes: Uint8Array }> {
  const loaded = typeof run === "string" ? await now$(store.log.load(run)) : run;
  if (!loaded) throw new RunNotFound(run as string);
  const { runId, planHash } = loaded.snapshot;
  const bytes = await now$(store.log.getBlob(planHash));
  if (!bytes) throw new BlobMissing(planHash, `the plan of run ${runId}`);
  return { plan: decodePlan(bytes), bytes };
}
