// `awr replay`: re-executes a run from its journal alone — no model, tool or person is asked — and
// checks that it takes the same path to the same outcome. A plan edited so that a finished step
// asks for something else is a NonDeterminism failure naming that step.
import { Effect } from "effect";
import type { Plan } from "../compiler/plan/index.js";
import { Interpreter } from "./exec/interpreter.js";
import { Journal } from "./journal.js";
import { keyFormatOf } from "./keys.js";
import { sessionOf } from "./exec/run.js";
import { MemoryStore } from "./store/memory.js";
import type { FailureInfo, Json, LoadedRun, ModelProvider, PendingInterrupt, RunStore, ToolProvider } from "./types.js";
import { RunNotFound } from "./ports/errors.js";
import { VmFailure } from "./types.js";

export interface ReplayReport {
  ok: boolean;
  runId: string;
  /** Status and output as recorded and as replayed. */
  recorded: { status: string; output?: Json; error?: FailureInfo };
  replayed: { status: string; output?: Json; error?: FailureInfo; pending?: PendingInterrupt[] };
  /** Journal outcomes the replay never asked for (the run took another path). */
  unused: string[];
  problems: string[];
}

const OFFLINE: ModelProvider & ToolProvider = {
  async call() {
    throw new VmFailure({ kind: "nondeterminism", retryable: false, message: "replay asked for an effect the journal does not hold" });
  },
};

/** Replays a run offline against its journal; `given`: the run as the caller loaded it (not loaded again). */
export async function replayRun(store: RunStore, runId: string, plan: Plan, given?: LoadedRun): Promise<ReplayReport> {
  const loaded = given?.snapshot.runId === runId ? given : await Effect.runPromise(store.log.load(runId));
  if (!loaded) throw new RunNotFound(runId);
  const run = loaded.snapshot;
  // A scratch copy: replay never writes to the real store.
  const scratch = new MemoryStore();
  scratch.create({ ...run, status: "running" });
  const version = scratch.commit({ runId, expectVersion: 0, append: loaded.journal.map(({ seq: _seq, ...e }) => e) });
  const journal = new Journal(scratch, runId, { snapshot: run, journal: loaded.journal, version }, () => 0, true);
  // The session id (meta.sessionId) decides whether agents read a session: the reads come from the journal.
  const interp = new Interpreter({ plan, runId, journal, models: OFFLINE, tools: OFFLINE, principal: run.principal, instant: true, emit: () => {}, now: () => 0, ...sessionOf(run, scratch), keyFormat: keyFormatOf(run.meta) });
  const r = await Effect.runPromise(interp.run(run.graph, run.input));
  const replayed: ReplayReport["replayed"] = { status: r.status };
  if (r.status === "completed") replayed.output = r.output;
  if (r.status === "failed" || r.status === "needs_attention") replayed.error = r.error;
  if (r.status === "suspended") replayed.pending = r.pending;
  const recorded: ReplayReport["recorded"] = { status: run.status };
  if (run.output !== undefined) recorded.output = run.output;
  if (run.error) recorded.error = run.error;
  const outcomes = loaded.journal.filter((e) => e.phase === "outcome").map((e) => e.key);
  const unused = outcomes.filter((k) => !journal.replayed.has(k) && !(r.status === "suspended" && r.pending.some((p) => p.id === k)));
  const problems: string[] = [];
  if (r.status === "failed" && r.error.kind === "nondeterminism") problems.push(r.error.message);
  else {
    if (replayed.status !== recorded.status) problems.push(`the run ended ${recorded.status}, the replay ${replayed.status}${replayed.error ? ` (${replayed.error.message})` : ""}`);
    if (JSON.stringify(replayed.output) !== JSON.stringify(recorded.output)) problems.push("the replay produced another output than the run");
  }
  // After a divergence every later step is "not reached": that says nothing new.
  if (!problems.length) for (const k of unused) problems.push(`step ${k} is in the journal but the replay did not reach it`);
  return { ok: problems.length === 0, runId, recorded, replayed, unused, problems };
}
