// The language server: wires a connection to the workspace model and the features (one per file in
// features/). Handlers never let an exception escape: a compiler bug is logged to the client and the
// request answers null, so one bad keystroke cannot take the editor's language support down.
import type { Connection, InitializeParams, InitializeResult } from "vscode-languageserver/node";
import { CodeActionKind, DidChangeWatchedFilesNotification, TextDocumentSyncKind, TextDocuments } from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { VERSION } from "../compiler/index.js";
import { FileHost } from "../host/source-host.js";
import { formatConfigFor } from "../host/format-config.js";
import { uriToPath } from "./convert.js";
import { Workspace, type WorkspaceOptions } from "./workspace.js";
import { pollDisk } from "./disk-poll.js";
import { diagnostics } from "./features/diagnostics.js";
import { hover } from "./features/hover.js";
import { definition } from "./features/definition.js";
import { references } from "./features/references.js";
import { documentSymbols } from "./features/document-symbols.js";
import { workspaceSymbols } from "./features/workspace-symbols.js";
import { completion } from "./features/completion.js";
import { codeActions } from "./features/code-actions.js";
import { prepareRename, rename } from "./features/rename.js";
import { semanticTokens, semanticTokensLegend } from "./features/semantic-tokens.js";
import { foldingRanges } from "./features/folding.js";
import { formatting } from "./features/formatting.js";
import { signatureHelp } from "./features/signature-help.js";

/** At most this many unopened files are re-checked per publication (the rest wait to be opened). */
const MAX_CLOSED_CHECKED = 200;

export interface ServerOptions extends Partial<WorkspaceOptions> {
  /**
   * Milliseconds to wait after the last change before publishing diagnostics (default 150). The
   * client may override it with `initializationOptions.diagnosticsDelay`.
   */
  diagnosticsDelay?: number;
  /**
   * For clients that cannot register file watching: milliseconds between checks of the unopened
   * files the open programs loaded (default 2000; 0: never). The client may override it with
   * `initializationOptions.diskPollInterval`. See disk-poll.ts.
   */
  diskPollInterval?: number;
}

/**
 * Registers every handler on `connection`; the caller calls `connection.listen()`. Files that are
 * not open are read from the file system (host/source-host.ts) unless `options.disk` says otherwise.
 */
export function startServer(connection: Connection, options: ServerOptions = {}): { workspace: Workspace } {
  const ws = new Workspace({ disk: options.disk ?? (() => new FileHost()) });
  const documents = new TextDocuments(TextDocument);
  const settings: Settings = { delay: options.diagnosticsDelay ?? 150, watchFiles: false, pollInterval: options.diskPollInterval ?? 2000 };
  const guard = guardWith(connection);
  const publisher = diagnosticsPublisher(connection, ws, guard, () => settings.delay, (uri) => documents.get(uri)?.version);
  let poll: { stop(): void } | undefined;

  connection.onInitialize((params) => initialize(ws, settings, params));
  connection.onInitialized(() => {
    // .awr files, and the modules of js tools (AWR5010/AWR5011 depend on them).
    if (settings.watchFiles) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: "**/*.awr" }, { globPattern: "**/*.{mjs,cjs,js}" }] });
    // Without watching, changed imports on disk are found by polling their mtimes (disk-poll.ts).
    else if (settings.pollInterval > 0) {
      const onError = (e: unknown) => connection.console.error(`awr lsp: internal error in disk poll: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      poll = pollDisk(ws, settings.pollInterval, () => publisher.schedule(undefined), onError);
    }
  });
  syncDocuments(connection, documents, ws, publisher.schedule);
  registerRequests(connection, documents, ws, guard);
  connection.onShutdown(() => {
    poll?.stop();
    publisher.cancel();
  });

  documents.listen(connection);
  return { workspace: ws };
}

/** What the client's `initialize` request may change. */
interface Settings {
  /** Milliseconds between the last change and the publication of diagnostics. */
  delay: number;
  /** Whether the client registers file watchers dynamically. */
  watchFiles: boolean;
  /** Milliseconds between disk polls for clients that cannot watch (0: never). */
  pollInterval: number;
}

/** Wraps a handler so that an exception is logged to the client and the request answers null. */
type Guard = <P, R>(name: string, fn: (p: P) => R) => (p: P) => R | null;

function guardWith(connection: Connection): Guard {
  return (name, fn) => (p) => {
    try {
      return fn(p);
    } catch (e) {
      connection.console.error(`awr lsp: internal error in ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return null;
    }
  };
}

function initialize(ws: Workspace, settings: Settings, params: InitializeParams): InitializeResult {
  const init = params.initializationOptions as { diagnosticsDelay?: unknown; diskPollInterval?: unknown } | undefined;
  if (typeof init?.diagnosticsDelay === "number" && init.diagnosticsDelay >= 0) settings.delay = init.diagnosticsDelay;
  if (typeof init?.diskPollInterval === "number" && init.diskPollInterval >= 0) settings.pollInterval = init.diskPollInterval;
  settings.watchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  // The workspace folders: their files that import a changed or renamed module count even unopened.
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  ws.setRoots(folders.filter((u) => u.startsWith("file:")).map(uriToPath));
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      workspaceSymbolProvider: true,
      completionProvider: { triggerCharacters: [".", "@", ":", "["] },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      renameProvider: { prepareProvider: true },
      semanticTokensProvider: { legend: semanticTokensLegend, full: true },
      foldingRangeProvider: true,
      documentFormattingProvider: true,
      documentRangeFormattingProvider: true,
      signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [":"] },
    },
    serverInfo: { name: "awr", version: VERSION },
  };
}

// ---------------------------------------------------------------- diagnostics, debounced

/**
 * Publishes diagnostics `delay()` milliseconds after the last change: `schedule(file)` after a
 * file's text changed, `schedule(undefined)` when every open file must be re-checked. Those of an
 * open document carry its version (`versionOf`): they were computed from the buffer at that
 * version, so a client can drop a publication that arrives after a newer edit.
 */
function diagnosticsPublisher(
  connection: Connection,
  ws: Workspace,
  guard: Guard,
  delay: () => number,
  versionOf: (uri: string) => number | undefined,
): { schedule: (file: string | undefined) => void; cancel: () => void } {
  /** Files changed since the last publication; `all` when every open file must be re-checked. */
  const changed = new Set<string>();
  let all = false;
  /** Files of the workspace that are not open and were last published with diagnostics. */
  const shownClosed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const schedule = (file: string | undefined) => {
    if (file === undefined) all = true;
    else changed.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(publish, delay());
  };

  const publish = guard("diagnostics", () => {
    timer = undefined;
    const open = ws.openFiles();
    const targets = new Set<string>();
    for (const f of open) {
      // Before recompiling: what the file's program loaded last time (a dependency that changed).
      const before = ws.lastResult(f)?.program.modules;
      if (all || changed.has(f) || !before || [...changed].some((c) => before.has(c))) targets.add(f);
    }
    const changedNow = [...changed];
    const wasAll = all;
    changed.clear();
    all = false;
    // Files loaded by a re-checked program may change too ("unused" depends on importers).
    for (const f of [...targets]) for (const m of ws.analyse(f).program.modules.keys()) if (ws.isOpen(m)) targets.add(m);
    // Files of the workspace that are not open but import a changed file (directly or not): a
    // change can break them, and the editor lists their problems too. Those shown before are
    // re-checked on any change, so fixed problems disappear.
    const closed = new Set<string>(shownClosed);
    for (const c of wasAll ? open : changedNow) for (const d of ws.dependentsOf(c)) if (!ws.isOpen(d) && closed.size < MAX_CLOSED_CHECKED) closed.add(d);
    for (const f of targets) {
      const d = guard(`diagnostics of ${f}`, () => diagnostics(ws, f))(undefined);
      if (!d) continue;
      const uri = ws.uriOf(f);
      const version = versionOf(uri);
      void connection.sendDiagnostics({ uri, ...(version !== undefined ? { version } : {}), diagnostics: d });
    }
    for (const f of closed) {
      if (ws.isOpen(f)) {
        shownClosed.delete(f);
        continue;
      }
      const d = guard(`diagnostics of ${f}`, () => diagnostics(ws, f))(undefined) ?? [];
      if (d.length === 0 && !shownClosed.has(f)) continue; // nothing to show, nothing to clear
      void connection.sendDiagnostics({ uri: ws.uriOf(f), diagnostics: d });
      if (d.length) shownClosed.add(f);
      else shownClosed.delete(f);
    }
  });

  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return { schedule, cancel };
}

/** Open buffers are the workspace's texts; every change schedules a publication. */
function syncDocuments(connection: Connection, documents: TextDocuments<TextDocument>, ws: Workspace, schedule: (file: string | undefined) => void): void {
  documents.onDidOpen((e) => {
    ws.setText(uriToPath(e.document.uri), e.document.uri, e.document.getText());
    schedule(undefined); // a new buffer may resolve an import another file could not
  });
  documents.onDidChangeContent((e) => {
    const file = uriToPath(e.document.uri);
    ws.setText(file, e.document.uri, e.document.getText());
    schedule(file);
  });
  documents.onDidClose((e) => {
    const file = uriToPath(e.document.uri);
    ws.setText(file, e.document.uri, undefined);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    schedule(undefined);
  });
  connection.onDidChangeWatchedFiles(() => {
    ws.diskChanged();
    schedule(undefined);
  });
}

// ---------------------------------------------------------------- requests

function registerRequests(connection: Connection, documents: TextDocuments<TextDocument>, ws: Workspace, guard: Guard): void {
  connection.onHover(guard("hover", (p) => hover(ws, p)));
  connection.onDefinition(guard("definition", (p) => definition(ws, p)));
  connection.onReferences(guard("references", (p) => references(ws, p)));
  connection.onDocumentSymbol(guard("documentSymbol", (p) => documentSymbols(ws, p)));
  connection.onWorkspaceSymbol(guard("workspaceSymbol", (p) => workspaceSymbols(ws, p)));
  connection.onCompletion(guard("completion", (p) => completion(ws, p)));
  connection.onCodeAction(guard("codeAction", (p) => codeActions(ws, p)));
  connection.onPrepareRename(guard("prepareRename", (p) => prepareRename(ws, p)));
  connection.onRenameRequest(guard("rename", (p) => rename(ws, p)));
  connection.languages.semanticTokens.on(guard("semanticTokens", (p) => semanticTokens(ws, p) ?? { data: [] }));
  connection.onSignatureHelp(guard("signatureHelp", (p) => signatureHelp(ws, p)));
  connection.onFoldingRanges(guard("foldingRanges", (p) => foldingRanges(ws, p)));
  // Formatting needs only the buffer's text (not a checked program) and the project's settings.
  const format = async (uri: string) => {
    const text = documents.get(uri)?.getText();
    if (text === undefined) return null;
    const file = uriToPath(uri);
    const config = await formatConfigFor(file).catch((e: unknown) => {
      connection.console.error(`awr lsp: cannot read the formatting configuration of ${file}: ${e instanceof Error ? e.message : String(e)}`);
      return { options: {} };
    });
    return formatting(file, text, config.options);
  };
  connection.onDocumentFormatting(guard("formatting", (p) => format(p.textDocument.uri)));
  connection.onDocumentRangeFormatting(guard("rangeFormatting", (p) => format(p.textDocument.uri)));
}
