// The row shapes both stores keep, and the one place that turns runs, journal entries and
// dispatches into rows and back. MemoryStore holds exactly the rows SqliteStore writes (JSON text,
// blob references), so both have the same semantics — what `JSON.stringify` drops is dropped by
// both, and nothing a caller holds aliases stored state.
import { createHash } from "node:crypto";
import type {
  AuditQuery,
  AuditRecord,
  CommitRequest,
  Dispatch,
  EffectKind,
  FailureInfo,
  Json,
  JournalEntry,
  RunRecord,
  RunStatus,
  SessionEntry,
  SessionMemoryEntry,
  SessionQuery,
  VmEvent,
} from "../types.js";
import { genesis } from "./chain.js";
import { StoreError } from "./errors.js";

/** Journal values whose JSON is larger than this many bytes go to the blob table. */
export const DEFAULT_BLOB_THRESHOLD = 8 * 1024;

export const RUN_STATUSES: readonly RunStatus[] = ["running", "completed", "failed", "suspended", "needs_attention", "cancelled"];
export const EFFECT_KINDS: readonly EffectKind[] = ["prompt", "agent", "tool", "graph", "human", "event", "time", "random", "compensation"];

/** A run as stored: the record's JSON fields as text; `null` = absent. */
export interface RunRow {
  run_id: string;
  graph: string;
  plan_hash: string;
  status: string;
  created_at: number;
  updated_at: number;
  /** Number of successful commits (the optimistic-concurrency version). */
  version: number;
  /** Journal length = the seq of the next entry. */
  next_seq: number;
  /** Number of stored events = the seq of the next event (schema 2). */
  next_event: number;
  /** Number of the run's audit records = the seq of the next one (schema 2). */
  next_audit: number;
  input: string;
  principal: string;
  output: string | null;
  error: string | null;
  pending: string | null;
  meta: string | null;
  /** The chain value of the last journal entry (the genesis when there is none; schema 5). */
  journal_head: string | null;
  /** The chain value of the last audit record (schema 5). */
  audit_head: string | null;
}

/** A journal entry as stored: `value` is inline JSON text or `value_blob`, a blob's sha256. */
export interface JournalRow {
  seq: number;
  key: string;
  step: string;
  kind: string;
  phase: string;
  hash: string;
  at: number;
  value: string | null;
  value_blob: string | null;
  error: string | null;
  /** sha256 over the previous entry's chain value and this entry (chain.ts; schema 5). */
  chain: string | null;
}

export interface DispatchRow {
  kind: string;
  run_id: string;
  payload: string | null;
}

/** The columns of `runs` a commit's `update` may set (version and next_seq are the store's). */
export type RunUpdateColumns = Partial<Pick<RunRow, "graph" | "plan_hash" | "status" | "updated_at" | "input" | "principal" | "output" | "error" | "pending">>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder("utf-8", { fatal: true });

export function jsonBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

export function bytesToJson(bytes: Uint8Array, what: string): Json {
  try {
    return JSON.parse(utf8Decode.decode(bytes)) as Json;
  } catch (e) {
    throw new StoreError(`${what}: the stored blob is not JSON (${(e as Error).message})`, undefined, { cause: e });
  }
}

// ---------------------------------------------------------------- JSON

/** JSON text of a value that must be present and serialisable. */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new StoreError(`${what} is not JSON (${(e as Error).message})`, undefined, { cause: e });
  }
  if (text === undefined) throw new StoreError(`${what} is not JSON (${value === undefined ? "undefined" : typeof value})`);
  return text;
}

/** JSON text of an optional value: `undefined` ↦ `null` (absent). */
export function toJsonOpt(value: unknown, what: string): string | null {
  return value === undefined ? null : toJson(value, what);
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new StoreError(`${what}: the stored text is not JSON (${(e as Error).message})`, undefined, { cause: e });
  }
}

// ---------------------------------------------------------------- schema versions

/**
 * The schema version a store holds, judged the same way by every store: from its `meta.schema_version`
 * (`stored`) when it has a meta table, 0 when it has no table at all, else it is someone else's
 * (`notOurs` says so in the store's words). A version this build cannot read (`newest`) is refused.
 */
export function schemaVersionOf(
  tables: readonly string[],
  stored: string | undefined,
  newest: number,
  label: string,
  notOurs: () => string,
): number {
  let from: number;
  if (tables.includes("meta")) {
    from = Number(stored);
    if (stored === undefined || !Number.isInteger(from) || from < 1) {
      throw new StoreError(`the run store at ${label} has no valid schema version (meta.schema_version = ${JSON.stringify(stored ?? null)})`, label);
    }
  } else if (tables.length === 0) {
    from = 0;
  } else {
    throw new StoreError(notOurs(), label);
  }
  if (from > newest) {
    throw new StoreError(`the run store at ${label} was written by a newer AWR (schema version ${from}; this build reads up to ${newest}) — upgrade AWR to open it`, label);
  }
  return from;
}

// ---------------------------------------------------------------- validation

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// A lone surrogate cannot be stored as UTF-8 (SQLite would read back U+FFFD three times): both
// stores keep the string with U+FFFD in its place, so what is stored is what was hashed (chain.ts).
const SURROGATE = /[\uD800-\uDFFF]/;

function str(v: unknown, what: string, nonEmpty = false): string {
  if (typeof v !== "string" || (nonEmpty && v === "")) throw new StoreError(`${what} must be a ${nonEmpty ? "non-empty " : ""}string`);
  return SURROGATE.test(v) ? Buffer.from(v, "utf8").toString("utf8") : v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new StoreError(`${what} must be a finite number`);
  return v;
}

export function checkStatus(v: unknown, what: string): RunStatus {
  if (!RUN_STATUSES.includes(v as RunStatus)) throw new StoreError(`${what} must be one of ${RUN_STATUSES.join(", ")} (got ${JSON.stringify(v)})`);
  return v as RunStatus;
}

function failureJson(v: unknown, what: string): string | null {
  if (v === undefined) return null;
  if (!isObject(v) || typeof v.kind !== "string" || typeof v.message !== "string") {
    throw new StoreError(`${what} must be a failure ({ kind, message, ... })`);
  }
  return toJson(v, what);
}

function pendingJson(v: unknown, what: string): string | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) throw new StoreError(`${what} must be an array of pending interrupts`);
  return toJson(v, what);
}

export function checkLimit(limit: unknown, what: string): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0) throw new StoreError(`${what} must be a non-negative integer`);
  return limit;
}

export function checkExpectVersion(req: CommitRequest): void {
  if (!isObject(req)) throw new StoreError("commit: the request must be an object");
  str(req.runId, "commit: runId", true);
  if (typeof req.expectVersion !== "number" || !Number.isInteger(req.expectVersion) || req.expectVersion < 0) {
    throw new StoreError(`commit ${req.runId}: expectVersion must be a non-negative integer`);
  }
  if (req.append !== undefined && !Array.isArray(req.append)) throw new StoreError(`commit ${req.runId}: append must be an array`);
  if (req.dispatch !== undefined && !Array.isArray(req.dispatch)) throw new StoreError(`commit ${req.runId}: dispatch must be an array`);
  if (req.audit !== undefined && !Array.isArray(req.audit)) throw new StoreError(`commit ${req.runId}: audit must be an array`);
  if (req.events !== undefined && !Array.isArray(req.events)) throw new StoreError(`commit ${req.runId}: events must be an array`);
}

export interface ListOptions {
  limit?: number;
  status?: RunStatus;
  since?: number;
  until?: number;
}

/** Validated `list` options; absent bounds are undefined. */
export function checkListOptions(opts: unknown): { limit: number | undefined; status: RunStatus | undefined; since: number | undefined; until: number | undefined } {
  if (opts === undefined) return { limit: undefined, status: undefined, since: undefined, until: undefined };
  if (!isObject(opts)) throw new StoreError("list: the options must be an object");
  return {
    limit: checkLimit(opts.limit, "list: limit"),
    status: opts.status === undefined ? undefined : checkStatus(opts.status, "list: status"),
    since: opts.since === undefined ? undefined : num(opts.since, "list: since"),
    until: opts.until === undefined ? undefined : num(opts.until, "list: until"),
  };
}

// ---------------------------------------------------------------- runs

export function encodeRun(run: RunRecord): RunRow {
  if (!isObject(run)) throw new StoreError("create: the run must be an object");
  const id = str(run.runId, "create: runId", true);
  const w = `run ${id}`;
  return {
    run_id: id,
    graph: str(run.graph, `${w}: graph`),
    plan_hash: str(run.planHash, `${w}: planHash`),
    status: checkStatus(run.status, `${w}: status`),
    created_at: num(run.createdAt, `${w}: createdAt`),
    updated_at: num(run.updatedAt, `${w}: updatedAt`),
    version: 0,
    next_seq: 0,
    next_event: 0,
    next_audit: 0,
    input: toJson(run.input, `${w}: input`),
    principal: toJson(run.principal, `${w}: principal`),
    output: toJsonOpt(run.output, `${w}: output`),
    error: failureJson(run.error, `${w}: error`),
    pending: pendingJson(run.pending, `${w}: pending`),
    meta: toJsonOpt(run.meta, `${w}: meta`),
    journal_head: genesis("journal", id),
    audit_head: genesis("audit", id),
  };
}

export function decodeRun(row: RunRow): RunRecord {
  const w = `run ${row.run_id}`;
  const run: RunRecord = {
    runId: row.run_id,
    graph: row.graph,
    planHash: row.plan_hash,
    input: parseJson(row.input, `${w}: input`),
    principal: parseJson(row.principal, `${w}: principal`),
    status: row.status as RunStatus,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.output !== null) run.output = parseJson(row.output, `${w}: output`);
  if (row.error !== null) run.error = parseJson(row.error, `${w}: error`) as unknown as FailureInfo;
  if (row.pending !== null) run.pending = parseJson(row.pending, `${w}: pending`) as unknown as RunRecord["pending"];
  if (row.meta !== null && row.meta !== undefined) run.meta = parseJson(row.meta, `${w}: meta`);
  return run;
}

/**
 * The columns a commit's `update` sets. The semantics are those of `{ ...run, ...update }`: a
 * field present with `undefined` clears an optional field (output, error, pending); a required
 * field cannot be cleared; unknown fields (typos, runId, createdAt) are refused.
 */
export function encodeUpdate(runId: string, update: unknown): RunUpdateColumns {
  if (update === undefined) return {};
  if (!isObject(update)) throw new StoreError(`commit ${runId}: update must be an object`);
  const w = `commit ${runId}: update`;
  const cols: RunUpdateColumns = {};
  for (const [k, v] of Object.entries(update)) {
    const required = (): void => {
      if (v === undefined) throw new StoreError(`${w}.${k} cannot be unset (it is required)`);
    };
    switch (k) {
      case "graph":
        required();
        cols.graph = str(v, `${w}.graph`);
        break;
      case "planHash":
        required();
        cols.plan_hash = str(v, `${w}.planHash`);
        break;
      case "status":
        required();
        cols.status = checkStatus(v, `${w}.status`);
        break;
      case "updatedAt":
        required();
        cols.updated_at = num(v, `${w}.updatedAt`);
        break;
      case "input":
        required();
        cols.input = toJson(v, `${w}.input`);
        break;
      case "principal":
        required();
        cols.principal = toJson(v, `${w}.principal`);
        break;
      case "output":
        cols.output = toJsonOpt(v, `${w}.output`);
        break;
      case "error":
        cols.error = failureJson(v, `${w}.error`);
        break;
      case "pending":
        cols.pending = pendingJson(v, `${w}.pending`);
        break;
      default:
        throw new StoreError(`${w}: ${JSON.stringify(k)} is not a field a commit can update`);
    }
  }
  return cols;
}

// ---------------------------------------------------------------- journal

/**
 * The row of one appended entry. `putBlob` stores a large value's JSON bytes and returns their
 * sha256; it is called only for values over `threshold` bytes. The entry's own `seq` is ignored:
 * the store assigns positions.
 */
export function encodeEntry(
  runId: string,
  entry: JournalEntry,
  seq: number,
  threshold: number,
  putBlob: (bytes: Uint8Array) => string,
): JournalRow {
  const w = `commit ${runId}: journal entry ${seq}`;
  if (!isObject(entry)) throw new StoreError(`${w} must be an object`);
  if (!EFFECT_KINDS.includes(entry.kind)) throw new StoreError(`${w}: kind must be one of ${EFFECT_KINDS.join(", ")} (got ${JSON.stringify(entry.kind)})`);
  if (entry.phase !== "intent" && entry.phase !== "outcome") throw new StoreError(`${w}: phase must be "intent" or "outcome" (got ${JSON.stringify(entry.phase)})`);
  const key = str(entry.key, `${w}: key`, true);
  const step = str(entry.step, `${w}: step`);
  const hash = str(entry.hash, `${w}: hash`);
  const at = num(entry.at, `${w}: at`);
  const error = failureJson(entry.error, `${w}: error`);
  let value = toJsonOpt(entry.value, `${w}: value`);
  let valueBlob: string | null = null;
  // UTF-8 is at most 3 bytes per UTF-16 unit, so short strings skip the byte count, and the
  // count itself allocates nothing: only a value that does go to the blob table is encoded. The
  // blob is put last, once the entry is known to be valid.
  if (value !== null && value.length * 3 > threshold && Buffer.byteLength(value, "utf8") > threshold) {
    valueBlob = putBlob(jsonBytes(value));
    value = null;
  }
  return { seq, key, step, kind: entry.kind, phase: entry.phase, hash, at, value, value_blob: valueBlob, error, chain: null };
}

export function decodeEntry(runId: string, row: JournalRow, getBlob: (hash: string) => Uint8Array | undefined): JournalEntry {
  const w = `run ${runId}: journal entry ${row.seq}`;
  const e: JournalEntry = {
    seq: row.seq,
    key: row.key,
    step: row.step,
    kind: row.kind as EffectKind,
    phase: row.phase as JournalEntry["phase"],
    hash: row.hash,
    at: row.at,
  };
  if (row.value_blob !== null) {
    const bytes = getBlob(row.value_blob);
    if (!bytes) throw new StoreError(`${w}: its value is blob ${row.value_blob}, which is missing from the store`);
    e.value = bytesToJson(bytes, w);
  } else if (row.value !== null) {
    e.value = parseJson(row.value, `${w}: value`);
  }
  if (row.error !== null) e.error = parseJson(row.error, `${w}: error`) as unknown as FailureInfo;
  return e;
}

// ---------------------------------------------------------------- dispatch

export function encodeDispatch(runId: string, d: Dispatch, i: number): DispatchRow {
  const w = `commit ${runId}: dispatch ${i}`;
  if (!isObject(d)) throw new StoreError(`${w} must be an object`);
  return {
    kind: str(d.kind, `${w}: kind`, true),
    run_id: str(d.runId, `${w}: runId`, true),
    payload: toJsonOpt(d.payload, `${w}: payload`),
  };
}

export function decodeDispatch(row: DispatchRow): Dispatch {
  const d: Dispatch = { kind: row.kind, runId: row.run_id };
  if (row.payload !== null) d.payload = parseJson(row.payload, `dispatch for run ${row.run_id}: payload`);
  return d;
}

/**
 * A blob read back from a store: its bytes must still hash to the name they are stored under.
 * Blobs hold plans and large journal values, so an edited blob would change what a run executes or
 * what a replay compares against; it is refused, never used.
 */
export function verifiedBlob(hash: string, bytes: Uint8Array | undefined): Uint8Array | undefined {
  if (bytes === undefined) return undefined;
  const actual = sha256Hex(bytes);
  if (actual !== hash) throw new StoreError(`blob ${hash} was altered in the store: its bytes hash to ${actual}; refusing to use it`);
  return bytes;
}

export function checkBlobInput(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new StoreError("putBlob: the blob must be a Uint8Array");
  return bytes;
}

export function checkThreshold(t: unknown): number {
  if (t === undefined) return DEFAULT_BLOB_THRESHOLD;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 0) throw new StoreError("blobThreshold must be a non-negative integer (bytes)");
  return t;
}

// ---------------------------------------------------------------- audit

export const AUDIT_KINDS: readonly AuditRecord["kind"][] = ["policy", "tool", "operator"];

/** An audit record as stored (append-only: no code path updates or deletes one). */
export interface AuditRow {
  run_id: string;
  /** Position among the run's audit records (assigned by the store). */
  seq: number;
  step: string;
  principal: string;
  kind: string;
  hook: string;
  target: string;
  policy: string | null;
  rule: string | null;
  outcome: string;
  reason: string | null;
  redacted: string | null;
  /** Operator records: who decided (schema 4; `by` of the record). */
  actor: string | null;
  /** Operator records: the decider's comment (schema 4). */
  comment: string | null;
  at: number;
  /** sha256 over the previous record's chain value and this record (chain.ts; schema 5). */
  chain: string | null;
}

function strOrNull(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  return str(v, what);
}

/** The row of the `i`-th audit record of a commit to `runId` (at position `seq` of the run's records); the record must be about that run. */
export function encodeAudit(runId: string, a: AuditRecord, i: number, seq = 0): AuditRow {
  const w = `commit ${runId}: audit record ${i}`;
  if (!isObject(a)) throw new StoreError(`${w} must be an object`);
  if (a.runId !== runId) throw new StoreError(`${w}: runId must be the run of the commit (${JSON.stringify(runId)}, got ${JSON.stringify(a.runId)})`);
  if (!AUDIT_KINDS.includes(a.kind)) throw new StoreError(`${w}: kind must be one of ${AUDIT_KINDS.join(", ")} (got ${JSON.stringify(a.kind)})`);
  let redacted: string | null = null;
  if (a.redacted !== undefined) {
    if (!Array.isArray(a.redacted) || !a.redacted.every((r) => isObject(r) && typeof r.path === "string" && typeof r.kind === "string")) {
      throw new StoreError(`${w}: redacted must be an array of { path, kind }`);
    }
    redacted = toJson(a.redacted, `${w}: redacted`);
  }
  return {
    run_id: runId,
    seq,
    step: str(a.step, `${w}: step`),
    principal: toJson(a.principal ?? null, `${w}: principal`),
    kind: a.kind,
    hook: str(a.hook, `${w}: hook`, true),
    target: str(a.target, `${w}: target`),
    policy: strOrNull(a.policy, `${w}: policy`),
    rule: strOrNull(a.rule, `${w}: rule`),
    outcome: str(a.outcome, `${w}: outcome`, true),
    reason: a.reason === undefined ? null : str(a.reason, `${w}: reason`),
    redacted,
    actor: a.by === undefined ? null : str(a.by, `${w}: by`),
    comment: a.comment === undefined ? null : str(a.comment, `${w}: comment`),
    at: num(a.at, `${w}: at`),
    chain: null,
  };
}

export function decodeAudit(row: AuditRow): AuditRecord {
  const w = `audit record of run ${row.run_id}`;
  const a: AuditRecord = {
    runId: row.run_id,
    step: row.step,
    principal: parseJson(row.principal, `${w}: principal`),
    kind: row.kind as AuditRecord["kind"],
    hook: row.hook,
    target: row.target,
    policy: row.policy,
    rule: row.rule,
    outcome: row.outcome,
    at: row.at,
  };
  if (row.reason !== null) a.reason = row.reason;
  if (row.redacted !== null) a.redacted = parseJson(row.redacted, `${w}: redacted`) as unknown as AuditRecord["redacted"];
  if (row.actor !== null && row.actor !== undefined) a.by = row.actor;
  if (row.comment !== null && row.comment !== undefined) a.comment = row.comment;
  return a;
}

/** A validated audit query: every filter present is of the right type. */
export function checkAuditQuery(q: unknown): AuditQuery {
  if (q === undefined) return {};
  if (!isObject(q)) throw new StoreError("audit: the query must be an object");
  const out: AuditQuery = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    switch (k) {
      case "runId":
      case "policy":
      case "outcome":
        out[k] = str(v, `audit: ${k}`);
        break;
      case "kind":
        if (!AUDIT_KINDS.includes(v as AuditRecord["kind"])) throw new StoreError(`audit: kind must be one of ${AUDIT_KINDS.join(", ")} (got ${JSON.stringify(v)})`);
        out.kind = v as AuditRecord["kind"];
        break;
      case "since":
      case "until":
        out[k] = num(v, `audit: ${k}`);
        break;
      case "limit":
        out.limit = checkLimit(v, "audit: limit");
        break;
      default:
        throw new StoreError(`audit: ${JSON.stringify(k)} is not a filter (runId, since, until, policy, outcome, kind, limit)`);
    }
  }
  return out;
}

/** The order of `audit` results: oldest first (by `at`), ties by run id, then the run's append order. */
export function auditOrder(a: AuditRow, b: AuditRow): number {
  return a.at - b.at || (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0) || a.seq - b.seq;
}

/** Whether a stored row passes a (checked) query's filters; `limit` is the caller's. */
export function auditMatches(row: AuditRow, q: AuditQuery): boolean {
  return (
    (q.runId === undefined || row.run_id === q.runId) &&
    (q.since === undefined || row.at >= q.since) &&
    (q.until === undefined || row.at <= q.until) &&
    (q.policy === undefined || row.policy === q.policy) &&
    (q.outcome === undefined || row.outcome === q.outcome) &&
    (q.kind === undefined || row.kind === q.kind)
  );
}

// ---------------------------------------------------------------- events

/** Checks the `i`-th event of a commit to `runId`: an object of that run with a type and a time. */
function checkEvent(runId: string, e: VmEvent, i: number): string {
  const w = `commit ${runId}: event ${i}`;
  if (!isObject(e)) throw new StoreError(`${w} must be an object`);
  if (typeof e.type !== "string" || (e.type as string) === "") throw new StoreError(`${w}: type must be a non-empty string`);
  if (e.runId !== runId) throw new StoreError(`${w}: runId must be the run of the commit (${JSON.stringify(runId)}, got ${JSON.stringify(e.runId)})`);
  num(e.at, `${w}: at`);
  return w;
}

/** The JSON text of the `i`-th event of a commit to `runId` (stored inline, whatever its size). */
export function encodeEvent(runId: string, e: VmEvent, i: number): string {
  return toJson(e, checkEvent(runId, e, i));
}

export function decodeEvent(runId: string, seq: number, text: string): VmEvent {
  return parseJson(text, `run ${runId}: event ${seq}`) as unknown as VmEvent;
}

/**
 * The events of one commit as one JSON array (SQLite's row): each without its `runId`, which is
 * the row's key — one row and one key per commit instead of per event.
 */
export function encodeEvents(runId: string, events: readonly VmEvent[]): string {
  const bodies: Omit<VmEvent, "runId">[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    checkEvent(runId, e, i);
    const { runId: _r, ...rest } = e;
    bodies[i] = rest;
  }
  return toJson(bodies, `commit ${runId}: events`);
}

export function decodeEvents(runId: string, seq: number, count: number, text: string): VmEvent[] {
  const what = `run ${runId}: events ${seq}–${seq + count - 1}`;
  const arr = parseJson(text, what);
  if (!Array.isArray(arr) || arr.length !== count) throw new StoreError(`${what}: the stored row is not an array of ${count} events`);
  return arr.map((e) => ({ ...(e as object), runId }) as unknown as VmEvent);
}

// ---------------------------------------------------------------- sessions

export const SESSION_ROLES: readonly SessionEntry["role"][] = ["system", "user", "assistant", "tool"];

export interface SessionRow {
  seq: number;
  run_id: string;
  agent: string;
  role: string;
  content: string;
  tool_calls: string | null;
  tool_call_id: string | null;
  at: number;
  /** The principal id of the run that wrote the entry (`principalIdOf`), null when unknown. */
  principal: string | null;
}

/** A session row of `sessionEntries`: with its session. */
export interface SessionMemoryRow extends SessionRow {
  session_id: string;
}

/**
 * What sessions are scoped by: the `id` of a run's principal (the runs row's JSON text), or null
 * when the run is unknown or its principal has no string id. The SQLite migration to schema 3
 * backfills old rows by the same rule.
 */
export function principalIdOf(principalJson: string | undefined): string | null {
  return principalJson === undefined ? null : principalId(parseJson(principalJson, "principal"));
}

/** The string `id` of a principal record, or null (no record, no string id). */
export function principalId(p: Json | undefined): string | null {
  const id = p !== null && typeof p === "object" && !Array.isArray(p) ? p["id"] : undefined;
  return typeof id === "string" ? id : null;
}

export function checkSessionQuery(q: unknown): SessionQuery {
  if (q === undefined) return {};
  if (!isObject(q)) throw new StoreError("sessionEntries: the query must be an object");
  const out: SessionQuery = {};
  if (q.principal !== undefined) out.principal = str(q.principal, "sessionEntries: principal");
  if (q.excludeSession !== undefined) out.excludeSession = str(q.excludeSession, "sessionEntries: excludeSession");
  return out;
}

export function decodeSessionMemoryEntry(row: SessionMemoryRow): SessionMemoryEntry {
  return { ...decodeSessionEntry(row.session_id, row), sessionId: row.session_id, principal: row.principal };
}

export function checkSessionId(id: unknown, what: string): string {
  return str(id, `${what}: the session id`, true);
}

/** The row of an appended session entry at position `seq` (the entry's own `seq` is ignored). */
export function encodeSessionEntry(sessionId: string, e: SessionEntry, seq: number, principal: string | null): SessionRow {
  const w = `appendSession ${sessionId}: entry ${seq}`;
  if (!isObject(e)) throw new StoreError(`${w} must be an object`);
  if (!SESSION_ROLES.includes(e.role)) throw new StoreError(`${w}: role must be one of ${SESSION_ROLES.join(", ")} (got ${JSON.stringify(e.role)})`);
  return {
    seq,
    run_id: str(e.runId, `${w}: runId`, true),
    agent: str(e.agent, `${w}: agent`),
    role: e.role,
    content: str(e.content, `${w}: content`),
    tool_calls: toJsonOpt(e.toolCalls, `${w}: toolCalls`),
    tool_call_id: e.toolCallId === undefined ? null : str(e.toolCallId, `${w}: toolCallId`),
    at: num(e.at, `${w}: at`),
    principal,
  };
}

export function decodeSessionEntry(sessionId: string, row: SessionRow): SessionEntry {
  const e: SessionEntry = { seq: row.seq, runId: row.run_id, agent: row.agent, role: row.role as SessionEntry["role"], content: row.content, at: row.at };
  if (row.tool_calls !== null) e.toolCalls = parseJson(row.tool_calls, `session ${sessionId}: entry ${row.seq}: toolCalls`);
  if (row.tool_call_id !== null) e.toolCallId = row.tool_call_id;
  return e;
}

export function checkSessionEntries(sessionId: string, entries: unknown): SessionEntry[] {
  if (!Array.isArray(entries)) throw new StoreError(`appendSession ${sessionId}: entries must be an array`);
  return entries as SessionEntry[];
}
