// A language client for tests: spawns the built `awr lsp --stdio` (dist/ must be built; `npm test`
// builds first) and speaks JSON-RPC to it as an editor would. Cursor positions are marked `<|>`
// inside fixture text (Langium style); `markers` strips them and returns their positions.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  WorkspaceSymbolRequest,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  ReferencesRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type CodeAction,
  type Command,
  type CompletionItem,
  type CompletionList,
  type Definition,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type LocationLink,
  type Position,
  type ProtocolConnection,
  type Range,
  type SymbolInformation,
  type TextDocumentContentChangeEvent,
} from "vscode-languageserver-protocol/node";
import { BIN, ROOT } from "../helpers/awr-cli.js";

/** Strips every `<|>` from `text`; returns the clean text and the 0-based positions of the markers. */
export function markers(text: string): { text: string; positions: Position[]; offsets: number[] } {
  const positions: Position[] = [];
  const offsets: number[] = [];
  let out = "";
  let line = 0;
  let character = 0;
  for (let i = 0; i < text.length; ) {
    if (text.startsWith("<|>", i)) {
      positions.push({ line, character });
      offsets.push(out.length);
      i += 3;
      continue;
    }
    const c = text[i]!;
    out += c;
    if (c === "\n") {
      line++;
      character = 0;
    } else character++;
    i++;
  }
  return { text: out, positions, offsets };
}

export const uriOf = (file: string) => pathToFileURL(file).href;

export class LspClient {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** The document version the latest diagnostics of each uri were published for (undefined: none given). */
  readonly diagnosticsVersion = new Map<string, number | undefined>();
  /** Every window/logMessage the server sent (internal errors show up here). */
  readonly logs: { type: number; message: string }[] = [];
  private readonly versions = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private exited = false;
  readonly stderr: string[] = [];

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: ProtocolConnection,
  ) {
    child.on("exit", () => (this.exited = true));
    child.stderr.setEncoding("utf8").on("data", (t: string) => this.stderr.push(t));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      this.diagnosticsVersion.set(p.uri, p.version);
      const ws = this.waiters;
      this.waiters = [];
      ws.forEach((w) => w());
    });
    connection.onNotification(LogMessageNotification.type, (p) => {
      this.logs.push(p);
    });
  }

  static async start(rootDir: string, initializationOptions: Record<string, unknown> = { diagnosticsDelay: 20 }): Promise<LspClient> {
    const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = new LspClient(child, connection);
    connection.listen();
    await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uriOf(rootDir),
      workspaceFolders: [{ uri: uriOf(rootDir), name: "fixture" }],
      capabilities: {},
      initializationOptions,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null;
  }

  async open(file: string, text: string): Promise<void> {
    this.versions.set(file, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uriOf(file), languageId: "awr", version: 1, text } });
  }

  /** Sends changes (whole text when a string, else incremental edits). */
  async change(file: string, change: string | TextDocumentContentChangeEvent[]): Promise<void> {
    const version = (this.versions.get(file) ?? 1) + 1;
    this.versions.set(file, version);
    const contentChanges = typeof change === "string" ? [{ text: change }] : change;
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uriOf(file), version }, contentChanges });
  }

  async close(file: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: uriOf(file) } });
  }

  /** Waits until the latest diagnostics published for `file` satisfy `ok`. */
  async waitForDiagnostics(file: string, ok: (ds: Diagnostic[]) => boolean, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const uri = uriOf(file);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ds = this.diagnostics.get(uri);
      if (ds && ok(ds)) return ds;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for diagnostics of ${file}; last: ${JSON.stringify(ds?.map((d) => `${d.code} ${d.message}`))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  hover(file: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(file) }, position });
  }

  definition(file: string, position: Position): Promise<Definition | LocationLink[] | null> {
    return this.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uriOf(file) }, position });
  }

  references(file: string, position: Position, includeDeclaration = true): Promise<Location[] | null> {
    return this.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uriOf(file) }, position, context: { includeDeclaration } });
  }

  async completion(file: string, position: Position): Promise<CompletionItem[]> {
    const r: CompletionItem[] | CompletionList | null = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriOf(file) }, position });
    return r === null ? [] : Array.isArray(r) ? r : r.items;
  }

  codeActions(file: string, range: Range, diagnostics: Diagnostic[]): Promise<(Command | CodeAction)[] | null> {
    return this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: uriOf(file) }, range, context: { diagnostics } });
  }

  documentSymbols(file: string): Promise<DocumentSymbol[] | SymbolInformation[] | null> {
    return this.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uriOf(file) } });
  }

  workspaceSymbols(query: string): Promise<unknown> {
    return this.connection.sendRequest(WorkspaceSymbolRequest.type, { query });
  }

  /** shutdown + exit; kills the process if it does not leave on its own. Returns the exit code. */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once("exit", (code) => resolve(code)));
    try {
      await withTimeout(this.connection.sendRequest(ShutdownRequest.type), 5000);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // fall through to the kill below
    }
    const code = await withTimeout(exited, 5000).catch(() => {
      this.child.kill("SIGKILL");
      return null;
    });
    this.connection.dispose();
    return code;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
