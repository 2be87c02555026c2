// Graphs in supersteps: every ready node runs against one snapshot of the state (node.ts), their
// writes are applied through the reducers in step-id order, then the edges out of the finished nodes
// fire (conditions, `otherwise`, loop bounds, joins that wait for all their sources). A failure is
// routed to the node's `on error` handler or fails the graph after its compensation (compensate.ts).
// Which nodes the edges make ready is edges.ts.
// A top-level graph snapshots its loop every so often (snapshot.ts), and a resume starts there.
import { Effect, Exit } from "effect";
import { declId, type JsonSchema } from "../../compiler/plan/index.js";
import { NeedsAttention, Suspended, canonical as canonicalJson } from "../journal.js";
import { outputKey, snapshotKey, superstepKey } from "../keys.js";
import { applyWrites, initialState } from "../reducers.js";
import { decide } from "../retry.js";
import { validate } from "../schema.js";
import type { JournalEntry, Json, PendingInterrupt } from "../types.js";
import { VmFailure } from "../types.js";
import { compensate } from "./compensate.js";
import { edgeGroups, fire, type EdgeState } from "./edges.js";
import { guarded } from "./guard.js";
import { runNode } from "./node.js";
import { errorOf, scopeOf, tryEval } from "./scope.js";
import { latestSnapshot, snapshotOf } from "./snapshot.js";
import type { Exec, Graph, GraphResult, Node, NodeResult, Stop, Undo } from "./types.js";

const MAX_SUPERSTEPS = 100_000;
/** Supersteps between snapshots of a top-level graph by default (RuntimeOptions.snapshots). */
export const DEFAULT_SNAPSHOT_EVERY = 100;

/** Where a graph's superstep loop stands (what a snapshot records, and the bookkeeping around it). */
interface Loop extends EdgeState {
  name: string;
  g: Graph;
  params: Record<string, Json>;
  prefix: string;
  state: Record<string, Json>;
  ready: string[];
  steps: number;
  order: Map<string, number>;
  /** Runs per node (journal keys carry the count). */
  runs: Map<string, number>;
  undo: Undo[];
  /** Interrupts of nodes that suspended: the graph suspends once nothing else is ready. */
  parked: PendingInterrupt[];
  /** The failure each `on error` handler about to run was routed with (it reads it as `error`). */
  failures: Map<string, Json>;
  handlers: Set<string>;
  /** Snapshots written by earlier executions: each one this execution passes is checked. */
  stored: ReadonlyMap<number, JournalEntry> | undefined;
  /** Whether this execution writes snapshots, the superstep of the last one, the interval now. */
  top: boolean;
  snappedAt: number;
  gap: number;
}

/** Runs a graph to its output, a suspension or a failure. */
export function runGraph(ex: Exec, name: string, input: Json, prefix: string): Effect.Effect<GraphResult, Stop> {
  const g = ex.cx.plan.graphs[name];
  if (!g) return Effect.fail(new VmFailure({ kind: "tool", message: `the plan has no graph "${name}"`, retryable: false }));
  const checked = validate(g.params as JsonSchema, input ?? {});
  if (!checked.ok) return Effect.fail(new VmFailure({ kind: "schema", message: `input of graph ${name}: ${checked.errors.join("; ")}`, retryable: false }));
  const params = checked.value as Record<string, Json>;
  return Effect.gen(function* () {
    const loop = startLoop(ex, g, name, params, prefix);
    while (loop.ready.length) {
      if (++loop.steps > MAX_SUPERSTEPS) return yield* Effect.fail(new VmFailure({ kind: "budget", message: `graph ${name} ran more than ${MAX_SUPERSTEPS} supersteps`, retryable: false }));
      yield* superstep(ex, loop);
      const snap = snapshot(ex, loop);
      if (snap) yield* snap;
    }
    if (loop.parked.length) return yield* Effect.fail(new Suspended(loop.parked));
    return yield* finish(ex, loop);
  });
}

/**
 * The loop at its start: from `start`, or — a resumed top-level graph — from its latest snapshot,
 * so what came before it is not re-executed (docs/vm.md § Snapshots). `awr replay` re-executes
 * everything and checks each snapshot it passes instead.
 */
function startLoop(ex: Exec, g: Graph, name: string, params: Record<string, Json>, prefix: string): Loop {
  const cx = ex.cx;
  const top = prefix === "" && (cx.snapshotEvery ?? 0) > 0;
  const loop: Loop = {
    name, g, params, prefix,
    state: initialState(g.state),
    ready: [],
    steps: 0,
    order: new Map(g.nodes.map((n, i) => [n.name, i])),
    runs: new Map(), taken: new Map(), groups: edgeGroups(g.edges), arrived: new Map(),
    undo: [], parked: [], failures: new Map(), handlers: handlersOf(g),
    stored: prefix === "" ? cx.journal.snapshots(name) : undefined,
    top,
    snappedAt: 0,
    gap: cx.snapshotEvery ?? 0,
  };
  const restored = top && !cx.journal.replayOnly ? latestSnapshot(cx.journal, name)?.snapshot : undefined;
  if (restored) {
    ({ state: loop.state, ready: loop.ready, steps: loop.steps } = restored);
    for (const [k, v] of restored.runs) loop.runs.set(k, v);
    for (const [k, v] of restored.taken) loop.taken.set(k, v);
    for (const [k, v] of restored.arrived) loop.arrived.set(k, new Set(v));
    loop.undo.push(...restored.undo);
    for (const [k, v] of restored.errors ?? []) loop.failures.set(k, v);
    loop.snappedAt = restored.steps;
  } else loop.ready = fire(loop, ["start"], scopeOf(params, loop.state));
  if (prefix === "") ex.topState = loop.state;
  return loop;
}

/**
 * One superstep: the ready nodes against one snapshot, their writes applied, failures routed, edges
 * fired. A generator the graph's loop delegates to (`yield*`): no effect is built per superstep.
 */
function* superstep(ex: Exec, loop: Loop) {
  const cx = ex.cx;
  const { g, name, order } = loop;
  const nodes = loop.ready.map((n) => g.nodes[order.get(n)!]!).sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const superKey = superstepKey(loop.prefix, name, loop.steps - 1);
  const superAt = cx.now();
  cx.emit({ type: "superstep.started", runId: cx.runId, key: superKey, graph: name, index: loop.steps - 1, nodes: nodes.map((n) => n.name), at: superAt });
  const snapshot = loop.state;
  const runOne = (node: Node) => {
    const iter = loop.runs.get(node.name) ?? 0;
    loop.runs.set(node.name, iter + 1);
    const error = loop.failures.get(node.name) ?? (loop.handlers.has(node.name) ? null : undefined);
    return Effect.exit(runNode(ex, { g, node, index: order.get(node.name)!, iter, snapshot, params: loop.params, prefix: loop.prefix, error }));
  };
  // One ready node (loops, chains) needs no fibers.
  const exits = nodes.length === 1 ? [yield* runOne(nodes[0]!)] : yield* Effect.forEach(nodes, runOne, { concurrency: "unbounded" });
  for (const n of nodes) loop.failures.delete(n.name);
  const settled = settle(loop, nodes, exits);
  if ("stop" in settled) return yield* Effect.fail(settled.stop);
  if ("defect" in settled) return yield* Effect.die(settled.defect);
  const { finished, routed, writes, fatal } = settled;
  loop.state = applyWrites(loop.state, g.state, writes);
  if (loop.prefix === "") ex.topState = loop.state;
  const superEnd = cx.now();
  cx.emit({ type: "superstep.finished", runId: cx.runId, key: superKey, at: superEnd, durationMs: superEnd - superAt });
  if (fatal) {
    yield* compensate(ex, loop.undo);
    return yield* Effect.fail(fatal);
  }
  const next = new Set([...fire(loop, finished, scopeOf(loop.params, loop.state)), ...routed]);
  loop.ready = [...next].filter((n) => n !== "end");
}

/**
 * What the nodes of a superstep left: the finished ones (their writes and undo steps taken), the
 * handlers failures are routed to, interrupts parked (with the writes made before them), and the
 * first failure no handler takes. An effect in doubt (`stop`) stops the graph at once; a defect dies.
 */
function settle(
  loop: Loop,
  nodes: Node[],
  exits: Exit.Exit<NodeResult, Stop>[],
): { finished: string[]; routed: string[]; writes: NodeResult["writes"]; fatal: VmFailure | undefined } | { stop: NeedsAttention } | { defect: unknown } {
  const finished: string[] = [];
  const routed: string[] = [];
  const writes: NodeResult["writes"] = [];
  let fatal: VmFailure | undefined;
  for (const [i, exit] of exits.entries()) {
    const node = nodes[i]!;
    if (Exit.isSuccess(exit)) {
      writes.push(...exit.value.writes);
      loop.undo.push(...exit.value.undo);
      finished.push(node.name);
      continue;
    }
    const err = Exit.isFailure(exit) ? errorOf(exit) : undefined;
    if (err instanceof Suspended) {
      loop.parked.push(...err.pending);
      writes.push(...err.writes);
    } else if (err instanceof NeedsAttention) return { stop: err };
    else if (err instanceof VmFailure) {
      if (decide(err.info, { level: "node", hasOnError: node.on_error !== null }) === "route") {
        routed.push(node.on_error!);
        loop.failures.set(node.on_error!, { kind: err.info.kind, message: err.info.message, step: err.info.step ?? null });
      } else fatal ??= err;
    } else return { defect: exit };
  }
  return { finished, routed, writes, fatal };
}

/**
 * A snapshot after the superstep, only where a resume can start: no branch is waiting for an
 * answer (a parked node re-runs in its own superstep on resume) and there is more to run. One an
 * earlier execution wrote here is checked instead: this one must have come to the same place.
 * Undefined when there is nothing to do (most supersteps): no effect is built for them.
 */
function snapshot(ex: Exec, loop: Loop): Effect.Effect<void, Stop> | undefined {
  const cx = ex.cx;
  const { stored, steps, name } = loop;
  if (!stored || loop.parked.length || !loop.ready.length) return undefined;
  const earlier = stored.size ? stored.get(steps) : undefined;
  if (!earlier && !(loop.top && steps - loop.snappedAt >= loop.gap)) return undefined;
  const key = snapshotKey(name, steps);
  const snap = snapshotOf({ state: loop.state, ready: loop.ready, steps, runs: loop.runs, taken: loop.taken, arrived: loop.arrived, undo: loop.undo, errors: loop.failures });
  loop.snappedAt = steps;
  if (earlier) {
    if (canonicalJson(earlier.value) !== canonicalJson(snap)) {
      return Effect.fail(new VmFailure({ kind: "nondeterminism", step: key, retryable: false, message: `graph ${name} reached superstep ${steps} in another state than the run recorded: the plan or its input changed since the run started` }));
    }
    cx.journal.replayed.add(key);
    return Effect.void;
  }
  if (cx.journal.replayOnly) return Effect.void;
  return cx.journal.commit([{ key, step: declId("graph", name), kind: "graph", phase: "outcome", hash: "", at: cx.now(), value: snap }]).pipe(
    Effect.tap(() =>
      Effect.sync(() => {
        // The interval grows with the snapshot (one superstep per KiB of it), so snapshots add
        // O(1) bytes per superstep to the journal even when the state keeps growing.
        loop.gap = Math.max(cx.snapshotEvery ?? 0, Math.ceil(JSON.stringify(snap).length / 1024));
      }),
    ),
  );
}

/** The graph's output: its `return` checked against its type, then the output hooks. */
function finish(ex: Exec, loop: Loop): Effect.Effect<GraphResult, Stop> {
  const { g, name, params, prefix, state, undo } = loop;
  return Effect.gen(function* () {
    let output: Json = null;
    if (g.return) {
      output = yield* tryEval(g.return, scopeOf(params, state), `the return of graph ${name}`);
      const ok = validate(g.returns as JsonSchema, output);
      if (!ok.ok) {
        yield* compensate(ex, undo);
        return yield* Effect.fail(new VmFailure({ kind: "schema", message: `graph ${name} returned a value that does not fit its type: ${ok.errors.join("; ")}`, retryable: false }));
      }
      output = ok.value;
    }
    // The graph's result passes `before output` (conditions see the arguments) and `after output`
    // (they see the result too); both may deny, ask for approval or redact the result.
    output = yield* guarded(ex, { phase: "before", target: "output", name, tags: [], input: params, subject: output }, outputKey(prefix, name));
    output = yield* guarded(ex, { phase: "after", target: "output", name, tags: [], input: params, output }, outputKey(prefix, name));
    return { output, state, undo };
  });
}

const HANDLERS = new WeakMap<Graph, Set<string>>();

/** The nodes some node of the graph routes its failures to (`on error -> n`). */
function handlersOf(g: Graph): Set<string> {
  let h = HANDLERS.get(g);
  if (!h) HANDLERS.set(g, (h = new Set(g.nodes.flatMap((n) => (n.on_error ? [n.on_error] : [])))));
  return h;
}
