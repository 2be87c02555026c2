// The in-memory run store (`--store memory:` and tests). It keeps the same rows SqliteStore writes
// (JSON text, large journal values as blob references) and follows the same rules — the version
// is the number of commits, a stale `expectVersion` is a VersionConflict that changes nothing, a
// failing commit leaves nothing behind, blobs are content-addressed — so a test against it tells
// the truth about SQLite. Everything returned is freshly decoded: callers cannot mutate stored
// state, and stored state never aliases what a caller passed in.
import { portsOf, type StoreEngine } from "./engine.js";
import type { OutboxEntry, RunLog, RunQueries, RunStore, SessionStore } from "../ports/store.js";
import type { AuditQuery, AuditRecord, ChainReport, CommitRequest, Dispatch, LoadedRun, RunRecord, RunStatus, SessionEntry, SessionMemoryEntry, SessionQuery, VmEvent } from "../types.js";
import { VersionConflict } from "../types.js";
import {
  auditMatches,
  auditOrder,
  checkAuditQuery,
  checkListOptions,
  checkSessionEntries,
  checkSessionId,
  checkSessionQuery,
  decodeAudit,
  decodeEvent,
  decodeSessionEntry,
  decodeSessionMemoryEntry,
  principalIdOf,
  encodeAudit,
  encodeEvent,
  encodeSessionEntry,
  type AuditRow,
  type SessionRow,
  checkBlobInput,
  verifiedBlob,
  checkExpectVersion,
  checkLimit,
  checkThreshold,
  decodeDispatch,
  decodeEntry,
  decodeRun,
  encodeDispatch,
  encodeEntry,
  encodeRun,
  encodeUpdate,
  sha256Hex,
  type DispatchRow,
  type JournalRow,
  type RunRow,
} from "./codec.js";
import { ChainError, auditLink, chainReport, chainRows, journalLink, verifyChain } from "./chain.js";
import { StoreError } from "./errors.js";

export interface MemoryStoreOptions {
  /** Journal values whose JSON exceeds this many bytes are kept as blobs (default 8 KiB). */
  blobThreshold?: number;
}

interface RunSlot {
  row: RunRow;
  journal: JournalRow[];
  /** The run's events as JSON text, in emission order (seq = index; SQLite packs a commit's events into one row). */
  events: string[];
  /** Insertion order, the tie-break of `list` (SQLite's rowid). */
  order: number;
}

/** An embedded store: a synchronous engine (for vm/store/ and its tests) behind the asynchronous ports. */
export class MemoryStore implements StoreEngine, RunStore {
  readonly log: RunLog;
  readonly queries: RunQueries;
  readonly sessions: SessionStore;
  private readonly runs = new Map<string, RunSlot>();
  private readonly blobs = new Map<string, Uint8Array>();
  private dispatches: (DispatchRow & { seq: number })[] = [];
  private nextDispatch = 1;
  /** Append-only: commits push, nothing else touches it. */
  private readonly auditRows: AuditRow[] = [];
  private readonly sessionRows = new Map<string, SessionRow[]>();
  private readonly threshold: number;
  private order = 0;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    ({ log: this.log, queries: this.queries, sessions: this.sessions } = portsOf(this));
    this.threshold = checkThreshold(opts.blobThreshold);
  }

  create(run: RunRecord): void {
    this.open();
    const row = encodeRun(run);
    if (this.runs.has(row.run_id)) throw new StoreError(`run ${row.run_id} already exists`);
    this.runs.set(row.run_id, { row, journal: [], events: [], order: this.order++ });
  }

  load(runId: string): LoadedRun | undefined {
    this.open();
    const slot = this.runs.get(runId);
    if (!slot) return undefined;
    const chain = verifyChain("journal", runId, slot.journal, journalLink, { count: slot.row.next_seq, hash: slot.row.journal_head });
    if (chain.problems.length) throw new ChainError(chain.problems);
    const getBlob = (h: string): Uint8Array | undefined => verifiedBlob(h, this.blobs.get(h));
    return {
      snapshot: decodeRun(slot.row),
      journal: slot.journal.map((r) => decodeEntry(runId, r, getBlob)),
      version: slot.row.version,
    };
  }

  commit(req: CommitRequest): number {
    this.open();
    checkExpectVersion(req);
    const slot = this.runs.get(req.runId);
    if (!slot) throw new StoreError(`commit: no run ${req.runId} in the store`);
    if (slot.row.version !== req.expectVersion) throw new VersionConflict(req.runId, req.expectVersion, slot.row.version);

    // Stage everything first; apply only when every part encoded (the transaction of SQLite).
    const newBlobs = new Map<string, Uint8Array>();
    const putBlob = (bytes: Uint8Array): string => {
      const h = sha256Hex(bytes);
      if (!this.blobs.has(h)) newBlobs.set(h, bytes);
      return h;
    };
    let seq = slot.row.next_seq;
    const rows = (req.append ?? []).map((e) => encodeEntry(req.runId, e, seq++, this.threshold, putBlob));
    const cols = encodeUpdate(req.runId, req.update);
    const outbox = (req.dispatch ?? []).map((d, i) => encodeDispatch(req.runId, d, i));
    const audit = (req.audit ?? []).map((a, i) => encodeAudit(req.runId, a, i, slot.row.next_audit + i));
    const events = (req.events ?? []).map((e, i) => encodeEvent(req.runId, e, i));
    const journalHead = rows.length ? chainRows(slot.row.journal_head!, rows, journalLink) : slot.row.journal_head;
    const auditHead = audit.length ? chainRows(slot.row.audit_head!, audit, auditLink) : slot.row.audit_head;

    for (const [h, b] of newBlobs) this.blobs.set(h, b);
    slot.journal.push(...rows);
    slot.events.push(...events);
    slot.row = { ...slot.row, ...cols, version: slot.row.version + 1, next_seq: seq, next_event: slot.row.next_event + events.length, next_audit: slot.row.next_audit + audit.length, journal_head: journalHead, audit_head: auditHead };
    for (const d of outbox) this.dispatches.push({ ...d, seq: this.nextDispatch++ });
    this.auditRows.push(...audit);
    return slot.row.version;
  }

  list(opts?: { limit?: number; status?: RunStatus; since?: number; until?: number }): RunRecord[] {
    this.open();
    const { limit, status, since, until } = checkListOptions(opts);
    const slots = [...this.runs.values()]
      .filter(
        (s) =>
          (status === undefined || s.row.status === status) &&
          (since === undefined || s.row.created_at >= since) &&
          (until === undefined || s.row.created_at <= until),
      )
      .sort((a, b) => b.row.created_at - a.row.created_at || b.order - a.order);
    return slots.slice(0, limit).map((s) => decodeRun(s.row));
  }

  audit(query?: AuditQuery): AuditRecord[] {
    this.open();
    const q = checkAuditQuery(query);
    const rows = this.auditRows.filter((r) => auditMatches(r, q)).sort(auditOrder);
    return rows.slice(0, q.limit).map(decodeAudit);
  }

  events(runId: string): VmEvent[] {
    this.open();
    const slot = this.runs.get(runId);
    return slot ? slot.events.map((t, i) => decodeEvent(runId, i, t)) : [];
  }

  session(sessionId: string): SessionEntry[] {
    this.open();
    const id = checkSessionId(sessionId, "session");
    return (this.sessionRows.get(id) ?? []).map((r) => decodeSessionEntry(id, r));
  }

  appendSession(sessionId: string, entries: SessionEntry[]): number {
    this.open();
    const id = checkSessionId(sessionId, "appendSession");
    const rows = this.sessionRows.get(id) ?? [];
    const add = checkSessionEntries(id, entries).map((e, i) => encodeSessionEntry(id, e, rows.length + i, principalIdOf(this.runs.get(e?.runId)?.row.principal)));
    rows.push(...add);
    this.sessionRows.set(id, rows);
    return rows.length;
  }

  sessionEntries(query?: SessionQuery): SessionMemoryEntry[] {
    this.open();
    const q = checkSessionQuery(query);
    const out: SessionMemoryEntry[] = [];
    // SQLite's order: session id (binary), then position.
    for (const id of [...this.sessionRows.keys()].sort(binaryOrder)) {
      if (id === q.excludeSession) continue;
      for (const r of this.sessionRows.get(id)!) if (q.principal === undefined || r.principal === q.principal) out.push(decodeSessionMemoryEntry({ ...r, session_id: id }));
    }
    return out;
  }

  putBlob(bytes: Uint8Array): string {
    this.open();
    const b = checkBlobInput(bytes);
    const h = sha256Hex(b);
    if (!this.blobs.has(h)) this.blobs.set(h, Uint8Array.from(b));
    return h;
  }

  getBlob(hash: string): Uint8Array | undefined {
    this.open();
    const b = verifiedBlob(hash, this.blobs.get(hash));
    return b && Uint8Array.from(b);
  }

  verify(runId?: string): ChainReport[] {
    this.open();
    const blobProblem = (h: string): string | undefined => {
      const b = this.blobs.get(h);
      if (!b) return `its value is blob ${h}, which is missing`;
      return sha256Hex(b) === h ? undefined : `its value is blob ${h}, whose bytes were altered`;
    };
    const ids = runId !== undefined ? [runId] : [...new Set([...this.runs.keys(), ...this.auditRows.map((a) => a.run_id)])];
    const out: ChainReport[] = [];
    for (const id of ids) {
      const slot = this.runs.get(id);
      const audit = this.auditRows.filter((a) => a.run_id === id).sort((a, b) => a.seq - b.seq);
      if (!slot && !audit.length) continue;
      const heads = slot && { journal: { count: slot.row.next_seq, hash: slot.row.journal_head }, audit: { count: slot.row.next_audit, hash: slot.row.audit_head } };
      out.push(chainReport(id, slot?.journal ?? [], audit, heads, blobProblem));
    }
    return out;
  }

  takeDispatches(limit?: number): Dispatch[] {
    this.open();
    const n = checkLimit(limit, "takeDispatches: limit") ?? this.dispatches.length;
    return this.dispatches.splice(0, n).map(decodeDispatch);
  }

  peekDispatches(limit?: number): OutboxEntry[] {
    this.open();
    const n = checkLimit(limit, "peekDispatches: limit") ?? this.dispatches.length;
    return this.dispatches.slice(0, n).map((d) => ({ ...decodeDispatch(d), seq: d.seq }));
  }

  ackDispatches(seqs: readonly number[]): void {
    this.open();
    const gone = new Set(seqs);
    this.dispatches = this.dispatches.filter((d) => !gone.has(d.seq));
  }

  close(): void {
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new StoreError("the run store is closed");
  }
}

/** SQLite's BINARY collation: UTF-8 byte order (not JavaScript's UTF-16 code unit order). */
function binaryOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
