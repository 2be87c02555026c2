// The workspace model: open buffers overlay the file system, one (incremental) ParseCache across edits, and one
// compiled program per open document (the document as entry). Results are cached per generation:
// any text change anywhere bumps the generation, so a result is never older than the buffers.
import { compile, type CompileResult } from "../compiler/compile.js";
import type { ModuleInfo } from "../compiler/semantic/program.js";
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

export class Workspace {
  private readonly overlay = new Map<string, string>();
  /** The URI each open file was opened with (published diagnostics must use the client's URI). */
  private readonly uris = new Map<string, string>();
  /** Re-parses only the declaration an edit touched (see incremental-parse.ts). */
  private readonly cache = new IncrementalParseCache();
  private host: OverlayHost;
  private generation = 0;
  private readonly results = new Map<string, { generation: number; result: CompileResult }>();

  constructor(private readonly opts: WorkspaceOptions = {}) {
    this.host = new OverlayHost(this.overlay, opts.stdlibDir);
  }

  /** Sets (or, with undefined, drops) the buffer of a file. */
  setText(file: string, uri: string, text: string | undefined): void {
    if (text === undefined) {
      this.overlay.delete(file);
      this.uris.delete(file);
      this.results.delete(file);
      this.diskChanged(); // the file now reads from disk, which may differ from the buffer
    } else {
      this.overlay.set(file, text);
      this.uris.set(file, uri);
    }
    this.generation++;
  }

  /** Files changed on disk: forget what was read from it. */
  diskChanged(): void {
    this.host = new OverlayHost(this.overlay, this.opts.stdlibDir);
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

  /** The program compiled with `file` as its entry, as of the current buffers. */
  analyse(file: string): CompileResult {
    const hit = this.results.get(file);
    if (hit && hit.generation === this.generation) return hit.result;
    const result = compile([file], this.host, { cache: this.cache });
    this.results.set(file, { generation: this.generation, result });
    return result;
  }

  /** The last result computed for `file`, however old (to know what it imported before a change). */
  lastResult(file: string): CompileResult | undefined {
    return this.results.get(file)?.result;
  }

  /** The module of `file` in its own program (undefined when the file cannot be read). */
  module(file: string): ModuleInfo | undefined {
    return this.analyse(file).program.modules.get(file);
  }

  /** The current programs of every open document. */
  openResults(): { file: string; result: CompileResult }[] {
    return this.openFiles().map((file) => ({ file, result: this.analyse(file) }));
  }

  /** Open documents (other than `file`) whose current program loads `file`. */
  importersOf(file: string): { file: string; result: CompileResult }[] {
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
}
