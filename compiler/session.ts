// The analysis host: texts in, analysis out. One pipeline — load → check → analyse → dedupe → sort —
// used by `compile` (a one-shot session) and by the language server (one long-lived session over
// the editor's buffers). Pure: the file system is the `SourceHost` the caller passes.
//
// An incremental session shares work across changes at three levels, so a keystroke re-does only
// what depends on it:
//   - parse: `IncrementalParseCache` re-parses only the declaration an edit touched (syntax/reparse.ts;
//     unchanged files keep their AST object);
//   - check: `CheckCache` re-checks only declarations whose AST node changed (the edited one and
//     those after it in its file) or that read a declaration that changed (in the edited module or
//     its importers), reusing the others' results;
//   - graph analysis: per graph, on demand — `fileDiagnostics(file)` analyses only that file's
//     graphs — and reused like the check (same recorded reads, semantic/reuse.ts).
// A program is loaded per generation (any text change bumps it); its check and its diagnostics are
// computed on first use, so a caller that needs only the loaded program (completion) never waits
// for them. Results equal a from-scratch `compile` (test/compiler/session.test.ts).
import type { GraphDecl, Module } from "./syntax/ast.js";
import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { dedupeDiagnostics as dedupe, sortDiagnostics } from "./diagnostics/diagnostic.js";
import { LineMap } from "./diagnostics/line-map.js";
import { fullParse, originOf, reparse, type Parsed } from "./syntax/reparse.js";
import type { Program, SourceHost } from "./semantic/program.js";
import { ParseCache, loadProgram } from "./semantic/load.js";
import { CheckCache, checkProgram, type CheckResult } from "./semantic/check/index.js";
import { movedDiagnostic, readsHold, recordingProgram, type Reads } from "./semantic/reuse.js";
import { checkJsModules } from "./semantic/js-modules.js";
import { checkProjectPaths } from "./semantic/project-paths.js";
import { analyzeGraph, classifierHooks, costDiagnostics, sameClassifierHooks, type ClassifierHook } from "./analysis/index.js";

/**
 * The program of some entries as of the session's texts: what `compile` reports (without a plan).
 * In a session, `check` and `diagnostics` are computed on first use.
 */
export interface Analysis {
  program: Program;
  check: CheckResult;
  /** Every diagnostic of the program: load, check, js modules, graph analysis; deduplicated, sorted. */
  diagnostics: Diagnostic[];
  /** The diagnostics of `diagnostics` in `file` (a module of this program), computed for that file only. */
  fileDiagnostics(file: string): Diagnostic[];
}

export interface SessionOptions {
  /**
   * Keep work across changes (check and graph-analysis caches, declaration re-parse). Default true;
   * `compile` runs a session with false: one pass, nothing recorded.
   */
  incremental?: boolean;
  /** The parse cache to use (shared with other sessions, as `checkFiles` does). */
  parses?: ParseCache;
}

/** A ParseCache that re-parses only the declaration an edit touched (see syntax/reparse.ts). */
export class IncrementalParseCache extends ParseCache {
  private readonly byFile = new Map<string, Parsed>();

  override get(file: string, text: string): { module: Module; diagnostics: Diagnostic[] } {
    const prev = this.byFile.get(file);
    if (prev && prev.text === text) return prev;
    const entry = (prev && reparse(file, prev, text)) ?? fullParse(file, text);
    this.byFile.set(file, entry);
    return entry;
  }
}

export class Session {
  /** Texts set by the caller (the editor's buffers): they win over the disk host. */
  private readonly texts = new Map<string, string>();
  private readonly parses: ParseCache;
  /** Per-module check results, reused while nothing they read changes (incremental sessions only). */
  readonly checks: CheckCache | undefined;
  /** Per-graph analysis, reused the same way. */
  private readonly analyses = new WeakMap<GraphDecl, { reads: Reads; hooks: readonly ClassifierHook[]; diagnostics: Diagnostic[] }[]>();
  readonly analysisStats = { analysed: 0, reused: 0 };
  private diskHost: SourceHost;
  /** The disk host, or (once a text is set) the disk host with the texts over it. */
  private host: SourceHost;
  private generation = 0;
  private readonly results = new Map<string, { generation: number; result: Analysis }>();

  /**
   * `disk` makes the host files are read through when the session has no text for them (imports,
   * `std/`, js tools' modules); it is called again on `diskChanged`, so a host may cache its reads.
   */
  constructor(
    private readonly disk: () => SourceHost,
    opts: SessionOptions = {},
  ) {
    const incremental = opts.incremental ?? true;
    this.parses = opts.parses ?? (incremental ? new IncrementalParseCache() : new ParseCache());
    this.checks = incremental ? new CheckCache() : undefined;
    this.host = this.diskHost = remembered(disk());
  }

  /** Sets (or, with undefined, drops) the text of a file. */
  setText(file: string, text: string | undefined): void {
    if (text === undefined) {
      this.texts.delete(file);
      this.results.delete(file);
      this.diskChanged(); // the file now reads from disk, which may differ from the text
    } else {
      this.texts.set(file, text);
      if (this.host === this.diskHost) this.host = overlay(this.diskHost, this.texts);
    }
    this.generation++;
  }

  /** Files changed on disk: forget what was read from it. */
  diskChanged(): void {
    this.diskHost = remembered(this.disk());
    this.host = this.texts.size ? overlay(this.diskHost, this.texts) : this.diskHost;
    this.generation++;
  }

  hasText(file: string): boolean {
    return this.texts.has(file);
  }

  /** The files whose text was set, in the order they were first set. */
  files(): string[] {
    return [...this.texts.keys()];
  }

  /** The text of any file as the session sees it (set, or read from the disk host). */
  read(file: string): string | undefined {
    return this.host.read(file);
  }

  /** The program with `file` as its entry, as of the current texts (cached until a text changes). */
  analyse(file: string): Analysis {
    const hit = this.results.get(file);
    if (hit && hit.generation === this.generation) return hit.result;
    const result = this.analyseEntries([file]);
    this.results.set(file, { generation: this.generation, result });
    return result;
  }

  /** The program of `entries`, as of the current texts (not cached: `analyse` is, per entry). */
  analyseEntries(entries: string[]): Analysis {
    const { program, diagnostics } = loadProgram(entries, this.host, this.parses);
    return this.lazyAnalysis(program, diagnostics, this.host);
  }

  /** The last analysis computed for `file`, however old (to know what it imported before a change). */
  lastResult(file: string): Analysis | undefined {
    return this.results.get(file)?.result;
  }

  /** Line map of any file the compiler may point at (set, imported, or on disk). */
  lines(file: string): LineMap | undefined {
    const text = this.host.read(file);
    if (text === undefined) return undefined;
    for (const r of this.results.values()) {
      const m = r.result.program.modules.get(file);
      if (m && m.text === text) return m.lines;
    }
    return new LineMap(text);
  }

  /**
   * The files `file` imports, resolved (unresolvable imports left out). From its parse alone
   * (through the shared cache), without loading or checking anything.
   */
  importsOf(file: string): string[] {
    const text = this.host.read(file);
    if (text === undefined) return [];
    const out: string[] = [];
    for (const imp of this.parses.get(file, text).module.imports) {
      if (imp.path === "") continue;
      const target = this.host.resolve(imp.path, file);
      if (target !== undefined) out.push(target);
    }
    return out;
  }

  // ---------------------------------------------------------------- the pipeline

  private lazyAnalysis(program: Program, loadDiagnostics: Diagnostic[], host: SourceHost): Analysis {
    const session = this;
    let check: CheckResult | undefined;
    // js tools' modules (AWR5010/5011) and paths outside the project (AWR5013): outside the check
    // cache (their files are not part of the program); a file-system host re-lexes a module only
    // when its size or mtime changed.
    let js: Diagnostic[] | undefined;
    const jsDiagnostics = () => (js ??= [...checkJsModules(program, host), ...checkProjectPaths(program, host)]);
    let all: Diagnostic[] | undefined;
    const perFile = new Map<string, Diagnostic[]>();
    return {
      program,
      get check() {
        return (check ??= checkProgram(program, session.checks));
      },
      // Load, check, js modules, graph analysis over every module; deduplicated and sorted.
      get diagnostics() {
        if (!all) {
          const analysed = [...program.modules.keys()].flatMap((f) => session.analysisOf(program, f));
          all = sortDiagnostics(dedupe([...loadDiagnostics, ...this.check.diagnostics, ...jsDiagnostics(), ...analysed]));
        }
        return all;
      },
      // The same, for one file: graph analysis reports in the file of the graph, so only that
      // module's graphs are analysed.
      fileDiagnostics(file: string) {
        let ds = perFile.get(file);
        if (!ds) {
          const of = (d: Diagnostic) => d.file === file;
          ds = all
            ? all.filter(of)
            : sortDiagnostics(dedupe([...loadDiagnostics.filter(of), ...this.check.diagnostics.filter(of), ...jsDiagnostics().filter(of), ...session.analysisOf(program, file).filter(of)]));
          perFile.set(file, ds);
        }
        return ds;
      },
    };
  }

  /** The graph analysis of module `file` of `program` (AWR40xx, AWR7001), graph by graph. */
  private analysisOf(program: Program, file: string): Diagnostic[] {
    const m = program.modules.get(file);
    if (!m) return [];
    const out: Diagnostic[] = [];
    for (const d of m.ast.decls) if (d.kind === "GraphDecl" && d.name.name) out.push(...this.graphAnalysis(program, file, d));
    return out;
  }

  /** One graph's analysis; in an incremental session, reused while its node and what it read are unchanged. */
  private graphAnalysis(program: Program, file: string, d: GraphDecl): Diagnostic[] {
    if (!this.checks) return [...analyzeGraph(program, file, d), ...costDiagnostics(program, file, d)];
    // The program-wide part of the cost bound (the policy hooks that call classifier prompts),
    // computed once per program from the real one: through the recording view it would make every
    // graph's analysis depend on every declaration, and no edit would let one be reused.
    const hooks = classifierHooks(program);
    const kept = this.analyses.get(d) ?? [];
    const hit = kept.find((k) => sameClassifierHooks(k.hooks, hooks) && readsHold(k.reads, program));
    if (hit) {
      this.analysisStats.reused++;
      return hit.diagnostics;
    }
    // A graph after an edit in its file is a moved copy of one analysed before: when everything that
    // analysis read still holds, its diagnostics hold too, moved with the graph (reads name other
    // declarations by identity, so a graph that reads a declaration that moved too is analysed again).
    let from: GraphDecl = d;
    let by = 0;
    for (let o = originOf(from); o?.from.kind === "GraphDecl"; o = originOf(from)) {
      from = o.from;
      by += o.by;
      const before = this.analyses.get(from)?.find((k) => sameClassifierHooks(k.hooks, hooks) && readsHold(k.reads, program));
      if (!before) continue;
      this.analysisStats.reused++;
      const move = { file, span: from.span, by };
      const diagnostics = before.diagnostics.map((x) => movedDiagnostic(x, move));
      this.analyses.set(d, [{ reads: before.reads, hooks, diagnostics }, ...kept].slice(0, 4));
      return diagnostics;
    }
    this.analysisStats.analysed++;
    const { view, reads } = recordingProgram(program);
    const diagnostics = [...analyzeGraph(view, file, d), ...costDiagnostics(view, file, d, { hooks })];
    this.analyses.set(d, [{ reads, hooks, diagnostics }, ...kept].slice(0, 4));
    return diagnostics;
  }
}

/**
 * `disk` with its answers about paths (project root, real path, allowed directories) kept: the
 * project-root checks of every analysis (AWR2013 in load.ts, AWR5013 in project-paths.ts) ask them,
 * a file-system host answers with file-system calls, and they do not change while the disk does
 * not — `diskChanged` makes a new host. So an edit that adds no import, js tool or context path
 * asks the disk nothing. Inherits every other method, as `overlay` does.
 */
function remembered(disk: SourceHost): SourceHost {
  const host = Object.create(disk) as SourceHost;
  const memo = (ask: (key: string) => string) => {
    const kept = new Map<string, string>();
    return (key: string) => {
      let v = kept.get(key);
      if (v === undefined) kept.set(key, (v = ask.call(disk, key)));
      return v;
    };
  };
  if (disk.projectRoot) host.projectRoot = memo(disk.projectRoot);
  if (disk.realpath) host.realpath = memo(disk.realpath);
  if (disk.allowedPaths) {
    let allowed: readonly string[] | undefined;
    const ask = disk.allowedPaths;
    host.allowedPaths = () => (allowed ??= ask.call(disk));
  }
  return host;
}

/**
 * `disk` with `texts` winning over it. The result inherits every method of the disk host, so its
 * own `resolve` (which asks `this.read` whether a file exists) sees a file that exists only as a
 * text, as the editor's unsaved new file.
 */
function overlay(disk: SourceHost, texts: ReadonlyMap<string, string>): SourceHost {
  const host = Object.create(disk) as SourceHost;
  host.read = (file: string) => {
    const text = texts.get(file);
    return text !== undefined ? text : disk.read(file);
  };
  return host;
}
