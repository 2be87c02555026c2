// The workspace model: a thin adapter over the compiler's `Session` (compiler/session.ts), which
// owns the pipeline and every cache (declaration re-parse, per-module check reuse, per-graph
// analysis reuse). Here: open buffers are the session's texts, each open document is the entry of
// its own program, URIs map to paths, and the workspace folders are walked for `.awr` files that
// import a changed module. Results equal a from-scratch `compile` (test/compiler/session.test.ts).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Session, type Analysis, type LineMap, type ModuleInfo, type SourceHost } from "../compiler/index.js";
import { pathToUri } from "./convert.js";

export type { Analysis };

export interface WorkspaceOptions {
  /**
   * Makes the host that reads files that are not open (imports, `std/`, js tools' modules): the
   * file system for `awr lsp` (host/source-host.ts `FileHost`, `startServer`'s default). Called again when files change on disk, so
   * the host may cache its reads.
   */
  disk: () => SourceHost;
}

/** Directories never searched for `.awr` files of the workspace. */
const SKIP_DIRS = new Set(["node_modules", "dist", "out", "build"]);
/** At most this many workspace files are considered (a guard against opening a home directory). */
const MAX_WORKSPACE_FILES = 5_000;

export class Workspace {
  /** The analysis host: the buffers are its texts. */
  readonly session: Session;
  /** The URI each open file was opened with (published diagnostics must use the client's URI). */
  private readonly uris = new Map<string, string>();
  private roots: string[] = [];
  private workspaceList: string[] | undefined;

  constructor(opts: WorkspaceOptions) {
    this.session = new Session(opts.disk);
  }

  /** The workspace folders: their `.awr` files count as importers even when not open. */
  setRoots(dirs: string[]): void {
    this.roots = dirs;
    this.workspaceList = undefined;
  }

  /** Sets (or, with undefined, drops) the buffer of a file. */
  setText(file: string, uri: string, text: string | undefined): void {
    if (text === undefined) {
      this.uris.delete(file);
      this.workspaceList = undefined; // the file may exist only as a buffer
    } else {
      if (!this.session.hasText(file)) this.workspaceList = undefined; // a new file may not be on disk yet
      this.uris.set(file, uri);
    }
    this.session.setText(file, text);
  }

  /** Files changed on disk: forget what was read from it. */
  diskChanged(): void {
    this.session.diskChanged();
    this.workspaceList = undefined;
  }

  isOpen(file: string): boolean {
    return this.session.hasText(file);
  }

  openFiles(): string[] {
    return this.session.files();
  }

  uriOf(file: string): string {
    return this.uris.get(file) ?? pathToUri(file);
  }

  /** The program with `file` as its entry, as of the current buffers. */
  analyse(file: string): Analysis {
    return this.session.analyse(file);
  }

  /** The last result computed for `file`, however old (to know what it imported before a change). */
  lastResult(file: string): Analysis | undefined {
    return this.session.lastResult(file);
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
    return this.session.lines(file);
  }

  // ---------------------------------------------------------------- files that are not open

  /** Every `.awr` file under the workspace folders (and every open file), sorted. */
  workspaceFiles(): string[] {
    if (this.workspaceList) return this.workspaceList;
    const out = new Set<string>(this.session.files());
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
      for (const target of this.session.importsOf(f)) {
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
}
