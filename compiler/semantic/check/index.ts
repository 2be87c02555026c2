// The checker: name resolution and type checking of a loaded program, one file per declaration
// kind (types.ts, model.ts, tool.ts, prompt.ts, agent.ts, context.ts, policy.ts, graph.ts, test.ts)
// over shared property-body helpers (props.ts) and calls (calls.ts). Each is a set of plain
// functions taking the pass's `Checker` (checker.ts). This file runs them and caches their results.
import type * as A from "../../syntax/ast.js";
import type { ModuleInfo, Program } from "../program.js";
import { holding, holdsAcross, movedAt, movedDiagnostic, programDelta, rebased, recordingProgram, type Move, type ProgramDelta, type Reads } from "../reuse.js";
import { originOf } from "../../syntax/reparse.js";
import { CheckContext, kindWord, type FieldReference, type Reference } from "../scope.js";
import type * as Ty from "../types.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { assertNever } from "../../plan/vocabulary.js";
import { agentDecl } from "./agent.js";
import { newChecker, type Checker } from "./checker.js";
import { contextDecl } from "./context.js";
import { graphDecl } from "./graph.js";
import { modelDecl } from "./model.js";
import { policyDecl } from "./policy.js";
import { promptDecl } from "./prompt.js";
import { testDecl } from "./test.js";
import { toolDecl } from "./tool.js";
import { enumDecl, typeDecl } from "./types.js";

export interface CheckResult {
  diagnostics: Diagnostic[];
  references: Reference[];
  /** Uses of record fields (member accesses, keys of record literals of a known type). */
  fieldReferences: FieldReference[];
  /** Named types, resolved (for hover, lowering and JSON Schema). */
  types: Ty.TypeTable;
}

/**
 * Name resolution and type checking of a loaded program (graph-shape analysis lives in analysis/).
 * With a `CheckCache` (the LSP keeps one across edits), a module whose AST and whose reads of the
 * program are unchanged since the last check is not checked again: its results are reused. The
 * result is the same as without the cache (test/lsp/incremental-check.test.ts).
 */
export function checkProgram(program: Program, cache?: CheckCache): CheckResult {
  const ctx = new CheckContext(program);
  const checker = newChecker(ctx);
  cache?.begin(program);
  for (const m of program.modules.values()) {
    if (cache) {
      const r = cache.module(program, m);
      ctx.diagnostics.push(...r.diagnostics);
      ctx.references.push(...r.references);
      ctx.fieldReferences.push(...r.fieldReferences);
      for (const u of r.used) ctx.used.add(u);
    } else for (const d of m.ast.decls) checkDecl(checker, m.file, d);
  }
  reportUnused(checker);
  return { diagnostics: ctx.diagnostics, references: ctx.references, fieldReferences: ctx.fieldReferences, types: ctx };
}

/** What checking one declaration produced, and what it read of the program to produce it. */
interface DeclCheck {
  reads: Reads;
  diagnostics: Diagnostic[];
  references: Reference[];
  fieldReferences: FieldReference[];
  used: ReadonlySet<string>;
  /**
   * Every place in the results lies inside the declaration: they point at no other declaration, so
   * they hold when a declaration read moved (`holding` says "moved").
   */
  local: boolean;
}

interface ModuleEntry {
  decls: DeclCheck[];
  /** Every declaration's results are `local`. */
  local?: boolean;
  /** The union of the declarations' reads, made when first needed (an edited module never needs it). */
  reads?: Reads;
  result: Omit<DeclCheck, "reads" | "local">;
}

/** One map of every read of `all` (reads that currently hold agree where their keys agree). */
function union(all: Reads[]): Reads {
  const out = new Map<string, Reads extends ReadonlyMap<string, infer R> ? R : never>();
  for (const reads of all) for (const [k, r] of reads) if (!out.has(k)) out.set(k, r);
  return out;
}

/**
 * Per-declaration check results kept across compiles of a changing program (see `checkProgram`).
 * Keyed by the declaration's AST node: the parse cache hands back the same node for a declaration
 * whose text and offset did not change, and a declaration's check reads nothing of its module but
 * through the program (recorded). So an edit re-checks the declarations it touched and those that
 * read a changed declaration; those after it in the same file (new nodes: their offsets moved)
 * reuse the results of the node they were moved from, moved.
 */
export class CheckCache {
  /** Per declaration, the last few checks (a module shared by several programs reads different globals). */
  private readonly byDecl = new WeakMap<A.Decl, DeclCheck[]>();
  /**
   * Declarations checked, reused, and reused moved (a copy an edit before it moved, see `decl`)
   * since the cache was made (for tests and benches).
   */
  readonly stats = { checked: 0, reused: 0, moved: 0 };

  /** Per module, the last few whole-module results (checked at once while the module is unchanged). */
  private readonly byModule = new WeakMap<A.Module, ModuleEntry[]>();

  /** The program being checked (and its number), the one checked before it, and what changed between them. */
  private program: Program | undefined;
  private generation = 0;
  private delta: ProgramDelta | undefined;
  /**
   * Per result (a declaration's or a module's), the number of the last program its reads were found
   * to hold in (a number: results outlive programs, and should not keep them alive).
   */
  private readonly heldIn = new WeakMap<object, number>();

  /** Starts the check of `program`. */
  begin(program: Program): void {
    if (program === this.program) return;
    this.delta = this.program && programDelta(this.program, program);
    this.program = program;
    this.generation++;
  }

  /**
   * True when the reads of `entry` (a declaration's or a module's) still hold in `program` (see
   * `holding`): quickly when they held in the program checked before and name nothing that changed
   * since (`holdsAcross`). When they hold with moved declarations, they are re-based on them
   * (`rebased`), so the next look finds them by identity.
   */
  private holds(entry: { reads: Reads; local: boolean }, program: Program): boolean {
    const now = this.program === program ? this.generation : -1;
    const held = now < 0 ? undefined : this.heldIn.get(entry);
    if (held !== undefined && held === now) return true;
    if (held !== undefined && held === now - 1 && this.delta && holdsAcross(entry.reads, this.delta)) {
      this.heldIn.set(entry, now);
      return true;
    }
    const h = holding(entry.reads, program);
    if (h === "moved" && entry.local) entry.reads = rebased(entry.reads, program);
    const ok = h === "same" || (h === "moved" && entry.local);
    if (ok && now >= 0) this.heldIn.set(entry, now);
    return ok;
  }

  /** The check of module `m` of `program`, declaration by declaration. */
  module(program: Program, m: ModuleInfo): Omit<DeclCheck, "reads" | "local"> {
    // An unchanged module: one pass over the union of its declarations' reads.
    const kept = this.byModule.get(m.ast) ?? [];
    for (const k of kept) {
      k.reads ??= union(k.decls.map((d) => d.reads));
      k.local ??= k.decls.every((d) => d.local);
      if (this.holds(k as { reads: Reads; local: boolean }, program)) {
        this.stats.reused += k.decls.length;
        return k.result;
      }
    }
    const decls = m.ast.decls.map((d) => this.decl(program, m.file, d));
    const result = { diagnostics: [] as Diagnostic[], references: [] as Reference[], fieldReferences: [] as FieldReference[], used: new Set<string>() };
    for (const r of decls) {
      result.diagnostics.push(...r.diagnostics);
      result.references.push(...r.references);
      result.fieldReferences.push(...r.fieldReferences);
      for (const u of r.used) result.used.add(u);
    }
    const entry: ModuleEntry = { decls, result };
    // Its union of reads, made when first needed, holds in `program` (each declaration's does).
    this.heldIn.set(entry, this.generation);
    this.byModule.set(m.ast, [entry, ...kept].slice(0, 4));
    return result;
  }

  private decl(program: Program, file: string, d: A.Decl): DeclCheck {
    const kept = this.byDecl.get(d) ?? [];
    const hit = kept.find((k) => this.holds(k, program));
    if (hit) {
      this.stats.reused++;
      return hit;
    }
    // A declaration after an edit in its file is a moved copy of one checked before (its text is
    // the same, its offset not): when what that check read still holds, its results hold, moved.
    let from: A.Decl = d;
    let by = 0;
    for (let o = originOf(from); o; o = originOf(from)) {
      from = o.from;
      by += o.by;
      const move: Move = { file, span: from.span, by };
      const before = this.byDecl.get(from)?.find((k) => {
        const h = holding(k.reads, program, true, move);
        return h === "same" || (h === "moved" && k.local);
      });
      if (!before) continue;
      this.stats.moved++;
      const entry: DeclCheck = {
        reads: rebased(before.reads, program, move),
        diagnostics: before.diagnostics.map((x) => movedDiagnostic(x, move)),
        references: before.references.map((r) => movedAt(r, move)),
        fieldReferences: before.fieldReferences.map((r) => movedAt(r, move)),
        used: before.used,
        local: before.local,
      };
      this.heldIn.set(entry, this.generation);
      this.byDecl.set(d, [entry, ...kept].slice(0, 4));
      return entry;
    }
    this.stats.checked++;
    const { view, reads, derive, text } = recordingProgram(program);
    const ctx = new CheckContext(view, derive, text);
    checkDecl(newChecker(ctx), file, d);
    const entry: DeclCheck = { reads, diagnostics: ctx.diagnostics, references: ctx.references, fieldReferences: ctx.fieldReferences, used: ctx.used, local: false };
    entry.local = isLocal(entry, file, d.span);
    this.heldIn.set(entry, this.generation);
    this.byDecl.set(d, [entry, ...kept].slice(0, 4));
    return entry;
  }
}

/** Whether every place in `r` lies in `file` inside `span`. */
function isLocal(r: Omit<DeclCheck, "local" | "reads">, file: string, span: A.Span): boolean {
  const inside = (f: string, s: A.Span) => f === file && s.start >= span.start && s.end <= span.end;
  return (
    r.references.every((x) => inside(x.file, x.span)) &&
    r.fieldReferences.every((x) => inside(x.file, x.span)) &&
    r.diagnostics.every(
      (x) =>
        inside(x.file, x.span) &&
        (x.related ?? []).every((y) => inside(y.file, y.span)) &&
        (x.fixes ?? []).every((f) => inside(x.file, f.kind === "insert" ? { start: f.offset, end: f.offset } : f.span)),
    )
  );
}

/** One declaration, by kind. */
export function checkDecl(cx: Checker, file: string, d: A.Decl): void {
  switch (d.kind) {
    case "TypeDecl":
      return typeDecl(cx, file, d);
    case "EnumDecl":
      return enumDecl(cx, file, d);
    case "ModelDecl":
      return modelDecl(cx, file, d);
    case "ToolDecl":
      return toolDecl(cx, file, d);
    case "PromptDecl":
      return promptDecl(cx, file, d);
    case "AgentDecl":
      return agentDecl(cx, file, d);
    case "ContextDecl":
      return contextDecl(cx, file, d);
    case "PolicyDecl":
      return policyDecl(cx, file, d);
    case "GraphDecl":
      return graphDecl(cx, file, d);
    case "TestDecl":
      return testDecl(cx, file, d);
    default:
      return assertNever(d, "declaration kind");
  }
}

/** AWR6001: a declaration of the user's modules nothing uses (after every module is checked). */
function reportUnused(cx: Checker) {
  const ctx = cx.ctx;
  const reported: A.DeclKind[] = ["TypeDecl", "EnumDecl", "ModelDecl", "ToolDecl", "PromptDecl", "AgentDecl", "ContextDecl"];
  for (const m of ctx.program.modules.values()) {
    if (m.library) continue;
    for (const d of m.ast.decls) {
      if (!reported.includes(d.kind) || d.name.name === "" || ctx.used.has(d.name.name)) continue;
      if (ctx.program.globals.get(d.name.name)?.decl !== d) continue;
      ctx.report("AWR6001", m.file, d.name.span, `${kindWord(d.kind)} "${d.name.name}" is never used`);
    }
  }
}
