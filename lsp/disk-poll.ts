// Files changed on disk, for clients that cannot register file watching (Neovim ≤ 0.8 and others
// without `workspace.didChangeWatchedFiles.dynamicRegistration`): without it the server never hears
// that an unopened import changed, and would check against the text it read first. So, on a timer,
// the modules the open documents' programs loaded — not open, not the standard library — are
// stat'ed (size and mtime, no reads); when one changed, appeared or went away, the workspace forgets
// what it read from disk and every open document is checked again. One `stat` per loaded file per
// interval: a 45-file workspace costs well under a millisecond.
import { readFileSync, statSync } from "node:fs";
import type { Workspace } from "./workspace.js";

/** Size and mtime of `file`, or "-" when it cannot be stat'ed. */
function stampOf(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}\0${st.mtimeMs}`;
  } catch {
    return "-";
  }
}

/** The text of `file`, or undefined when it cannot be read. */
function textOf(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export class DiskPoll {
  private readonly stamps = new Map<string, string>();

  constructor(private readonly ws: Workspace) {}

  /** The files whose changes matter — modules loaded by the open documents' programs, not open, not library — with the text loaded. */
  watched(): Map<string, string> {
    const out = new Map<string, string>();
    for (const f of this.ws.openFiles()) {
      const r = this.ws.lastResult(f);
      if (!r) continue;
      for (const [m, info] of r.program.modules) if (!info.library && !this.ws.isOpen(m)) out.set(m, info.text);
    }
    return out;
  }

  /**
   * True when a watched file changed since the last call. A file seen for the first time is read
   * once and compared with the text its program loaded: it may have changed between that load and
   * this first look (a busy machine, a quick save), and a stamp taken only now would miss it.
   */
  changed(): boolean {
    const files = this.watched();
    let changed = false;
    for (const [f, loaded] of files) {
      const stamp = stampOf(f);
      const old = this.stamps.get(f);
      if (old !== undefined ? old !== stamp : textOf(f) !== loaded) changed = true;
      this.stamps.set(f, stamp);
    }
    for (const f of [...this.stamps.keys()]) if (!files.has(f)) this.stamps.delete(f);
    return changed;
  }
}

/**
 * Polls every `intervalMs`: on a change, `ws.diskChanged()` then `onChange()` (the server schedules
 * diagnostics for every open document). The timer does not keep the process alive; `stop` ends it.
 * An exception is handed to `onError` (the server logs it) and polling goes on.
 */
export function pollDisk(ws: Workspace, intervalMs: number, onChange: () => void, onError: (e: unknown) => void): { stop(): void } {
  const poll = new DiskPoll(ws);
  const timer = setInterval(() => {
    try {
      if (!poll.changed()) return;
      ws.diskChanged();
      onChange();
    } catch (e) {
      onError(e);
    }
  }, intervalMs);
  timer.unref?.();
  return { stop: () => clearInterval(timer) };
}
