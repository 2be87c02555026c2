// Hash chains over a run's journal and over its audit records (schema 5; docs/security.md
// § Tamper-evident journal and audit log). Per run and per log, entry i stores
//
//   chain_i = sha256hex(chain_{i-1} ‖ "\n" ‖ canonical(entry i))     chain_{-1} = genesis(log, run id)
//
// and the run's row keeps the head: the number of entries (next_seq / next_audit) and chain_{n-1}.
// The canonical form is the entry as stored (its JSON columns as their text): a JSON array of the
// entry's columns — without its seq: position is what the links themselves fix, so a moved entry
// can be told from an edited one. A journal entry's inline value follows the array after a second
// "\n" (JSON.stringify never writes a raw newline, so the array ends at the first one): the value's
// text is hashed as it is, not escaped a second time. A value in the blob table is covered by its
// sha256 (`value_blob`), itself checked on every read.
//
// The chain has no key: whoever can rewrite the whole database can recompute every hash and the
// heads. What it gives: any change made without recomputing (an edited, inserted, deleted or moved
// row, a cut tail) is found and named, and the head hash printed by `awr audit --verify` is the
// anchor an operator keeps outside the store to catch the rest.
import { hash } from "node:crypto";
import type { ChainProblem, ChainReport, ChainStatus } from "../types.js";
import type { AuditRow, JournalRow } from "./codec.js";
import { StoreError } from "./errors.js";

export type ChainLog = ChainProblem["log"];

// The canonical arrays are JSON.stringify's text, written out: the same bytes, without building an
// array and escaping strings that need none (nearly all of them) — a third of a link's time.
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** JSON.stringify(s) of a column's value: a string without anything to escape is quoted as it is. */
const q = (s: unknown): string => (typeof s === "string" && !ESCAPED.test(s) ? `"${s}"` : (JSON.stringify(s) ?? "null"));
/** JSON.stringify(x) of a numeric column. */
const n = (x: unknown): string => (typeof x === "number" && Number.isFinite(x) ? String(x) : (JSON.stringify(x) ?? "null"));

/** The chain value before a run's first entry: distinct per log and per run, so chains cannot be swapped between runs. */
export function genesis(log: ChainLog, runId: string): string {
  return hash("sha256", JSON.stringify([`awr/${log}/v1`, runId]), "hex");
}

/** The chain value of a journal row after `prev`. */
export function journalLink(prev: string, r: JournalRow): string {
  const head = `[${q(r.key)},${q(r.step)},${q(r.kind)},${q(r.phase)},${q(r.hash)},${n(r.at)},${q(r.value_blob)},${q(r.error)}]`;
  return hash("sha256", r.value === null ? `${prev}\n${head}\n` : `${prev}\n${head}\n${r.value}`, "hex");
}

/** The chain value of an audit row after `prev` (its run is in the genesis; its seq is its position). */
export function auditLink(prev: string, r: AuditRow): string {
  const body = `[${q(r.step)},${q(r.principal)},${q(r.kind)},${q(r.hook)},${q(r.target)},${q(r.policy)},${q(r.rule)},${q(r.outcome)},${q(r.reason)},${q(r.redacted)},${q(r.actor)},${q(r.comment)},${n(r.at)}]`;
  return hash("sha256", `${prev}\n${body}`, "hex");
}

/** Chains `rows` (in seq order) after `prev`, setting each row's `chain`; returns the new head. */
export function chainRows<R extends { chain: string | null }>(prev: string, rows: R[], link: (prev: string, r: R) => string): string {
  for (const r of rows) prev = r.chain = link(prev, r);
  return prev;
}

/** What a run's row says about one of its chains: how many entries and the last one's chain value. */
export interface ChainHead {
  count: number;
  hash: string | null;
}

/** A stored row as the verifier sees it. */
interface Linked {
  seq: number;
  chain: string | null;
}

/** Look for where a moved entry came from at most this often (each look hashes every entry). */
const MOVE_SEARCHES = 16;

/**
 * Checks one chain: `rows` as stored (in seq order), `link` recomputing a row's chain value after a
 * given one, `head` what the run's row records (undefined: the run's row is gone). Each row is
 * checked against the stored value of the row before it, so one edit is one problem, not a
 * cascade; every break is named by the first entry concerned and what was done to it.
 */
export function verifyChain<R extends Linked>(
  log: ChainLog,
  runId: string,
  rows: readonly R[],
  link: (prev: string, r: R) => string,
  head: ChainHead | undefined,
  extra?: (r: R) => string | undefined,
): ChainStatus {
  const what = log === "journal" ? "journal entry" : "audit record";
  const whats = log === "journal" ? "journal entries" : "audit records";
  const problems: ChainProblem[] = [];
  const add = (seq: number, kind: ChainProblem["kind"], message: string) => problems.push({ log, runId, seq, kind, message });
  const start = genesis(log, runId);
  const n = rows.length;
  const before = (i: number): string | null => (i === 0 ? start : rows[i - 1]!.chain);
  const links = (p: string | null, r: R): boolean => p !== null && r.chain !== null && link(p, r) === r.chain;
  const gap = (i: number): boolean => rows[i]!.seq !== (i === 0 ? 0 : rows[i - 1]!.seq + 1);

  // Pass 1: which rows do not follow the row stored before them, and, for a few, which stored
  // row they do follow (-1: the genesis; undefined: none — edited, inserted, or after a deletion).
  const broken = new Array<boolean>(n).fill(false);
  const from = new Array<number | undefined>(n).fill(undefined);
  let positions: Map<string, number> | undefined;
  let searches = 0;
  let intact = true;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (gap(i)) intact = false;
    if (gap(i) || links(before(i), r)) continue;
    broken[i] = true;
    intact = false;
    if (r.chain === null || searches++ >= MOVE_SEARCHES) continue;
    positions ??= new Map([[start, -1], ...rows.map((x, j) => [x.chain ?? "", j] as const)]);
    for (const [p, j] of positions) {
      if (j !== i && j !== i - 1 && link(p, r) === r.chain) {
        from[i] = j;
        break;
      }
    }
  }
  const moved = (j: number): boolean => j >= 0 && broken[j]! && from[j] !== undefined;

  // Pass 2: name each break once (nothing to do for an intact chain, the case of every load).
  let renumbered = 0;
  let explained = -1;
  for (let i = 0; i < n && !(intact && extra === undefined); i++) {
    const r = rows[i]!;
    const bad = extra?.(r);
    if (bad !== undefined) add(r.seq, "edited", `${what} ${r.seq} was edited: ${bad}`);
    if (gap(i)) {
      const first = i === 0 ? 0 : rows[i - 1]!.seq + 1;
      add(first, "missing", r.seq - first === 1 ? `${what} ${first} is missing (deleted)` : `${whats} ${first}–${r.seq - 1} are missing (deleted)`);
      continue; // the row after a gap was chained to the missing one
    }
    if (!broken[i] || i === explained) continue;
    const next = i + 1 < n ? rows[i + 1]! : undefined;
    if (from[i] === undefined && next !== undefined && !gap(i + 1) && links(before(i), next)) {
      add(r.seq, "inserted", `${what} ${r.seq} was inserted: the entry after it is chained to the one before it`);
      explained = i + 1;
      continue;
    }
    const f = from[i];
    if (f === i + 1 && from[i + 1] === i - 1) {
      add(r.seq, "reordered", `${whats} ${r.seq} and ${r.seq + 1} were swapped (reordered)`);
      explained = i + 1;
      continue;
    }
    if (f !== undefined) {
      // A row that follows a moved row is where it was; only the moved rows are named.
      if (!moved(f)) add(r.seq, "reordered", `${what} ${r.seq} was moved: it was written ${f < 0 ? "as the first one" : `after ${what} ${rows[f]!.seq}`}`);
      continue;
    }
    // Fewer rows than the head counts, and this row is intact but follows something that is gone:
    // an entry before it was deleted and the later ones renumbered to close the gap.
    const intactAfter = next === undefined ? head !== undefined && r.chain === head.hash : r.chain !== null && links(r.chain, next);
    if (head !== undefined && rows[n - 1]!.seq + 1 + renumbered < head.count && intactAfter) {
      renumbered++;
      add(r.seq, "missing", `a ${what} before ${what} ${r.seq} is missing (deleted, and the later ones renumbered)`);
    } else {
      add(r.seq, "edited", r.chain === null ? `${what} ${r.seq} has no hash (written outside AWR)` : `${what} ${r.seq} was edited: its content no longer matches its hash`);
    }
  }

  const count = n ? rows[n - 1]!.seq + 1 : 0;
  const last = n ? rows[n - 1]!.chain : start;
  if (head === undefined) {
    if (n) add(0, "missing", `the run's record is missing, so its ${whats} cannot be checked against their recorded head`);
  } else if (count + renumbered < head.count) {
    add(count, "missing", `${whats} ${count}–${head.count - 1} are missing (deleted from the end): the run records ${head.count}`);
  } else if (count + renumbered > head.count) {
    add(head.count, "inserted", `${whats} ${head.count}–${count - 1} were added after the run's last recorded one`);
  } else if (head.hash !== last && !problems.length) {
    add(Math.max(count - 1, 0), "head", `the run's recorded head of its ${whats} is not the hash of its last one (the head was rewritten)`);
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { entries: n, head: last ?? start, problems };
}

/** The report of one run from its rows; `getBlob` checks a journal value kept as a blob. */
export function chainReport(
  runId: string,
  journal: readonly (JournalRow & { chain: string | null })[],
  audit: readonly AuditRow[],
  heads: { journal: ChainHead; audit: ChainHead } | undefined,
  blobProblem: (hash: string) => string | undefined,
): ChainReport {
  return {
    runId,
    journal: verifyChain("journal", runId, journal, journalLink, heads?.journal, (r) => (r.value_blob === null ? undefined : blobProblem(r.value_blob))),
    audit: verifyChain("audit", runId, audit, auditLink, heads?.audit),
  };
}

/**
 * A run whose journal or audit chain is broken: the store was changed outside AWR. Names the run,
 * the first bad entry (its seq) and what was done to it; `problems` holds every break found.
 */
export class ChainError extends StoreError {
  override readonly _tag = "ChainBroken";
  readonly runId: string;
  readonly log: ChainLog;
  readonly seq: number;
  readonly problem: ChainProblem["kind"];
  constructor(
    readonly problems: readonly ChainProblem[],
    path?: string,
  ) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    super(
      `run ${first.runId}: ${first.message}${more} — the run store was changed outside AWR; refusing to use the run. "awr audit --verify ${first.runId}" lists every break; restore the store from a backup`,
      path,
    );
    this.runId = first.runId;
    this.log = first.log;
    this.seq = first.seq;
    this.problem = first.kind;
  }
}
