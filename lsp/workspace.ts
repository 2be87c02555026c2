// The workspace model: open buffers overlay the file system, and each open document is the entry of
// its own program. Work is shared across edits at three levels, so a keystroke re-does only what
// depends on it:
//   - parse: `IncrementalParseCache` re-parses only the declaration an edit touched (unchanged files
//     keep their AST object);
//   - check: `CheckCache` re-checks only declarations whose AST node changed (the edited one and
//     those after it in its file) or that read a declaration that changed (in the edited module or
//     its importers), reusing the others' results;
//   - graph analysis: per graph, on demand — only for files whose diagnostics are published — and
//     reused like the check (same recorded reads).
// A program is loaded per generation (any text change bumps it); its check and its diagnostics are
// computed on first use, so completion (which needs only the loaded program) never waits for them.
// Results equal a from-scratch `compile` (test/lsp/incremental-check.test.ts).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { CompileResult } from "../compiler/compile.js";
import type { GraphDecl } from "../compiler/syntax/ast.js";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import { dedupeDiagnostics as dedupe, sortDiagnostics } from "../compiler/diagnostics/diagnostic.js";
import type { ModuleInfo, Program } from "../compiler/semantic/program.js";
import { loadProgram } from "../compiler/semantic/load.js";
import { CheckCache, checkProgram, type CheckResult } from "../compiler/semantic/check/index.js";
import { readsHold, recordingProgram, type Reads } from "../compiler/semantic/reuse.js";
import { checkJsModules } from "../compiler/semantic/js-modules.js";
import { analyzeGraph, costDiagnostics } from "../compiler/analysis/index.js";
import { LineMap } from "../compiler/diagnostics/line-map.js";
import { FileHost } from "../cli/host.js";
import { pathToUri } from "./convert.js";
import { IncrementalParseCache } from "./incremental-parse.js";

/** Unsaved buffers win over the disk; everything else (imports, std/) resolves like the CLI's. */
class OverlayHost extends FileHost {
  constructor(
    private readonly overlay: ReadonlyMap<string, string>,
    stdlibDir: string | undefined,
  ) {
    super(stdlibDir);
  }
  override read(file: string): string | undefined {
    const open = this.overlay.get(file);
    return open !== undefined ? open : super.read(file);
  }
}

export interface WorkspaceOptions {
  /** Where `std/` modules live (defaults to the package's stdlib/). */
  stdlibDir?: string;
}

/**
 * The program of one entry as of the current buffers. Shaped like `compile`'s result (without a
 * plan); `check` and `diagnostics` are computed on first use.
 */
export interface Analysis extends CompileResult {
  /** What `compile` reports for `file` (a module of this program), computed for that file only. */
  fileDiagnostics(file: string): Diagnostic[];
}

/** Directories never searched for `.awr` files of the workspace. */
const SKIP_DIRS = new Set(["node_modules", "dist", "out", "build"]);
/** At most this many workspace files are considered (a guard against opening a home directory). */
const MAX_WORKSPACE_FILES = 5_000;

export class Workspace {
  private readonly overlay = new Map<string, string>();
  /** The URI each open file was opened with (published diagnostics must use the client's URI). */
  private readonly uris = new Map<string, string>();
  /** Re-parses only the declaration an edit touched (see incremental-parse.ts). */
  private readonly parses = new IncrementalParseCache();
  /** Per-module check results, reused while nothing they read changes. */
  readonly checks = new CheckCache();
  /** Per-graph analysis, reused the same way. */
  private readonly analyses = new WeakMap<GraphDecl, { reads: Reads; diagnostics: Diagnostic[] }[]>();
  readonly analysisStats = { analysed: 0, reused: 0 };
  private host: OverlayHost;
  private generation = 0;
  private readonly results = new Map<string, { generation: number; result: Analysis }>();
  private roots: string[] = [];
  private workspaceList: string[] | undefined;

  constructor(private readonly opts: WorkspaceOptions = {}) {
    this.host = new OverlayHost(this.overlay, opts.stdlibDir);
  }

  /** The workspace folders: their `.awr` files count as importers even when not open. */
  setRoots(dirs: string[]): void {
    this.roots = dirs;
    this.workspaceList = undefined;
  }

  /** Sets (or, with undefined, drops) the buffer of a file. */
  setText(file: string, uri: string, text: string | undefined): void {
    if (text === undefined) {
      this.overlay.delete(file);
      this.uris.delete(file);
      this.results.delete(file);
      this.diskChanged(); // the file now reads from disk, which may differ from the buffer
    } else {
      if (!this.overlay.has(file)) this.workspaceList = undefined; // a new file may not be on disk yet
      this.overlay.set(file, text);
      this.uris.set(file, uri);
    }
    this.generation++;
  }

  /** Files changed on disk: forget what was read from it. */
  diskChanged(): void {
    this.host = new OverlayHost(this.overlay, this.opts.stdlibDir);
    this.workspaceList = undefined;
    this.generation++;
  }

  isOpen(file: string): boolean {
    return this.overlay.has(file);
  }

  openFiles(): string[] {
    return [...this.overlay.keys()];
  }

  uriOf(file: string): string {
    return this.uris.get(file) ?? pathToUri(file);
  }

  /** The program with `file` as its entry, as of the current buffers. */
  analyse(file: string): Analysis {
    const hit = this.results.get(file);
    if (hit && hit.generation === this.generation) return hit.result;
    const { program, diagnostics } = loadProgram([file], this.host, this.parses);
    const result = this.lazyAnalysis(program, diagnostics, this.host);
    this.results.set(file, { generation: this.generation, result });
    return result;
  }

  /** The last result computed for `file`, however old (to know what it imported before a change). */
  lastResult(file: string): Analysis | undefined {
    return this.results.get(file)?.result;
  }

  /** The module of `file` in its own program (undefined when the file cannot be read). */
  module(file: string): ModuleInfo | undefined {
    return this.analyse(file).program.modules.get(file);
  }

  /** The current programs of every open document. */
  openResults(): { file: string; result: Analysis }[] {
    return this.openFiles().map((file) => ({ file, result: this.analyse(file) }));
  }

  /** Open documents (other than `file`) whose current program loads `file`. */
  importersOf(file: string): { file: string; result: Analysis }[] {
    return this.openResults().filter((r) => r.file !== file && r.result.program.modules.has(file));
  }

  /** Line map of any file the compiler may point at (open, imported, or on disk). */
  lines(file: string): LineMap | undefined {
    for (const r of this.results.values()) {
      const m = r.result.program.modules.get(file);
      if (m && m.text === this.host.read(file)) return m.lines;
    }
    const text = this.host.read(file);
    return text === undefined ? undefined : new LineMap(text);
  }

  // ---------------------------------------------------------------- files that are not open

  /** Every `.awr` file under the workspace folders (and every open file), sorted. */
  workspaceFiles(): string[] {
    if (this.workspaceList) return this.workspaceList;
    const out = new Set<string>(this.overlay.keys());
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // unreadable: not part of the workspace
      }
      for (const e of entries) {
        if (out.size >= MAX_WORKSPACE_FILES) return;
        if (e.isDirectory()) {
          if (!e.name.startsWith(".") && !SKIP_DIRS.has(e.name)) walk(join(dir, e.name));
        } else if (e.isFile() && e.name.endsWith(".awr")) out.add(join(dir, e.name));
      }
    };
    for (const r of this.roots) walk(r);
    this.workspaceList = [...out].sort();
    return this.workspaceList;
  }

  /**
   * Files of the workspace (open or not, `file` excluded) that import `file`, directly or through
   * other modules: the files whose programs a change of `file` can affect. Computed from each
   * file's imports alone (parsed through the shared cache), without checking anything.
   */
  dependentsOf(file: string): string[] {
    const importers = new Map<string, string[]>();
    for (const f of this.workspaceFiles()) {
      const text = this.host.read(f);
      if (text === undefined) continue;
      for (const imp of this.parses.get(f, text).module.imports) {
        if (imp.path === "") continue;
        const target = this.host.resolve(imp.path, f);
        if (target === undefined) continue;
        const list = importers.get(target) ?? [];
        list.push(f);
        importers.set(target, list);
      }
    }
    const seen = new Set<string>([file]);
    const queue = [file];
    while (queue.length) for (const i of importers.get(queue.pop()!) ?? []) if (!seen.has(i)) seen.add(i), queue.push(i);
    seen.delete(file);
    return [...seen].sort();
  }

  // ---------------------------------------------------------------- lazy check and analysis

  private lazyAnalysis(program: Program, loadDiagnostics: Diagnostic[], host: OverlayHost): Analysis {
    const ws = this;
    let check: CheckResult | undefined;
    // js tools' modules (AWR5010/5011): outside the check cache, as in `compile` (their files are not
    // part of the program); the host re-lexes a module only when its size or mtime changed.
    let js: Diagnostic[] | undefined;
    const jsDiagnostics = () => (js ??= checkJsModules(program, host));
    let all: Diagnostic[] | undefined;
    const perFile = new Map<string, Diagnostic[]>();
    return {
      program,
      get check() {
        return (check ??= checkProgram(program, ws.checks));
      },
      // The pipeline of `compile` (load, check, analyse; deduplicated and sorted) over every module.
      get diagnostics() {
        if (!all) {
          const analysed = [...program.modules.keys()].flatMap((f) => ws.analysisOf(program, f));
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
          ds = all ? all.filter(of) : sortDiagnostics(dedupe([...loadDiagnostics.filter(of), ...this.check.diagnostics.filter(of), ...jsDiagnostics().filter(of), ...ws.analysisOf(program, file).filter(of)]));
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

  /** One graph's analysis, reused while its node and what it read of the program are unchanged. */
  private graphAnalysis(program: Program, file: string, d: GraphDecl): Diagnostic[] {
    const kept = this.analyses.get(d) ?? [];
    const hit = kept.find((k) => readsHold(k.reads, program));
    if (hit) {
      this.analysisStats.reused++;
      return hit.diagnostics;
    }
    this.analysisStats.analysed++;
    const { view, reads } = recordingProgram(program);
    const diagnostics = [...analyzeGraph(view, file, d), ...costDiagnostics(view, file, d)];
    this.analyses.set(d, [{ reads, diagnostics }, ...kept].slice(0, 4));
    return diagnostics;
  }
}

