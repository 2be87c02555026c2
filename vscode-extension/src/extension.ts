// The AWR extension: starts the language server (`awr lsp --stdio`, bundled in server/ unless
// `awr.server.path` names another awr) and adds "AWR: Show graph" and "AWR: Run tests in file".
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { basename, dirname } from "node:path";
import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node.js";
import { type AwrSettings, type Invocation, awrInvocation, graphNames, stripAnsi, testSummary } from "./awr.js";
import { graphHtml, parseGraphJson } from "./graph-view.js";

// The graph view's page builder, exported so a test can load the bundled dist/extension.js and check
// that the layout (elkjs) works from the bundle.
export { graphHtml, parseGraphJson } from "./graph-view.js";

let client: LanguageClient | undefined;
let extensionPath = "";
let log: vscode.OutputChannel;
let testOutput: vscode.OutputChannel | undefined;
const panels = new Map<string, { panel: vscode.WebviewPanel; file: string; graph: string | undefined }>();

function settings(): AwrSettings {
  const c = vscode.workspace.getConfiguration("awr");
  return {
    serverPath: c.get<string>("server.path", "") ?? "",
    serverArgs: c.get<string[]>("server.args", []) ?? [],
    runtime: c.get<string>("server.runtime", "") ?? "",
  };
}

function invocation(awrArgs: string[]): Invocation {
  return awrInvocation(settings(), awrArgs, {
    extensionPath,
    execPath: process.execPath,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionPath = context.extensionPath;
  log = vscode.window.createOutputChannel("AWR");
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand("awr.showGraph", (uri?: vscode.Uri) => showGraph(uri)),
    vscode.commands.registerCommand("awr.runTests", (uri?: vscode.Uri) => runTests(uri)),
    vscode.commands.registerCommand("awr.restartServer", () => restartServer()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("awr.server")) await restartServer();
    }),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      for (const [, p] of panels) if (p.file === doc.uri.fsPath) void renderGraph(p.panel, p.file, p.graph);
    }),
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

async function startServer(): Promise<void> {
  const inv = invocation(["lsp", "--stdio"]);
  // Executable, not NodeModule: the NodeModule form appends --clientProcessId, which `awr lsp` rejects.
  const serverOptions: ServerOptions = { command: inv.command, args: inv.args, options: { env: inv.env, shell: inv.shell } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "awr", scheme: "file" }, { language: "awr", scheme: "untitled" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.awr") },
    outputChannelName: "AWR Language Server",
  };
  client = new LanguageClient("awr", "AWR Language Server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const where = inv.bundled ? "the bundled server" : `"${inv.command}" (awr.server.path)`;
    void vscode.window.showErrorMessage(`AWR: could not start ${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function restartServer(): Promise<void> {
  const old = client;
  client = undefined;
  try {
    await old?.stop();
  } catch {
    // a server that failed to start cannot be stopped; start a new one anyway
  }
  await startServer();
}

/** The .awr file a command applies to: the explorer's selection or the active editor, saved. */
async function targetFile(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
  const doc = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!doc || doc.languageId !== "awr" || doc.uri.scheme !== "file") {
    void vscode.window.showWarningMessage("AWR: open an .awr file first (the command runs awr on the file on disk).");
    return undefined;
  }
  // awr reads the file from disk: save unsaved edits first.
  if (doc.isDirty && !(await doc.save())) return undefined;
  return doc;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function runAwr(awrArgs: string[], cwd: string, onData?: (chunk: string) => void): Promise<RunResult> {
  const inv = invocation(awrArgs);
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    const child = spawn(inv.command, inv.args, { cwd, env: { ...inv.env, NO_COLOR: "1" }, shell: inv.shell });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      onData?.(d);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      onData?.(d);
    });
    child.on("error", (error) => resolve({ code: null, stdout, stderr, error }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function showGraph(uri: vscode.Uri | undefined): Promise<void> {
  const doc = await targetFile(uri);
  if (!doc) return;
  const names = graphNames(doc.getText());
  let graph: string | undefined;
  if (names.length === 0) {
    void vscode.window.showWarningMessage(`AWR: ${basename(doc.uri.fsPath)} declares no graph.`);
    return;
  }
  if (names.length > 1) {
    graph = await vscode.window.showQuickPick(names, { placeHolder: "The graph to show" });
    if (!graph) return;
  } else graph = names[0];
  const file = doc.uri.fsPath;
  const key = `${file}#${graph ?? ""}`;
  let entry = panels.get(key);
  if (entry) entry.panel.reveal(vscode.ViewColumn.Beside, true);
  else {
    const panel = vscode.window.createWebviewPanel("awr.graph", `Graph: ${graph}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    entry = { panel, file, graph };
    panels.set(key, entry);
    panel.onDidDispose(() => panels.delete(key));
    panel.webview.onDidReceiveMessage(async (m: { type?: string; node?: string }) => {
      if (m.type === "copy") {
        const r = await runAwr(["graph", file, "--format", "mermaid", ...(graph ? ["--graph", graph] : [])], dirname(file));
        if (r.code !== 0) return void vscode.window.showErrorMessage(`AWR: no Mermaid export: ${stripAnsi(r.stderr).split("\n")[0] ?? ""}`);
        await vscode.env.clipboard.writeText(r.stdout);
        void vscode.window.setStatusBarMessage("AWR: Mermaid source copied", 2000);
      } else if (m.type === "reveal" && typeof m.node === "string") await revealNode(file, m.node);
    });
  }
  await renderGraph(entry.panel, file, graph);
}

async function renderGraph(panel: vscode.WebviewPanel, file: string, graph: string | undefined): Promise<void> {
  const args = ["graph", file, "--format", "json", ...(graph ? ["--graph", graph] : [])];
  const r = await runAwr(args, dirname(file));
  if (r.code !== 0) {
    const text = stripAnsi(`${r.stderr}${r.error ? `${r.error.message}\n` : ""}`);
    log.appendLine(`$ awr ${args.join(" ")}\n${text}`);
    const first = text.split("\n").find((l) => l.trim()) ?? `awr exited with ${String(r.code)}`;
    const choice = await vscode.window.showErrorMessage(`AWR: no graph: ${first}`, "Show output");
    if (choice) log.show(true);
    return;
  }
  const nonce = randomBytes(16).toString("base64");
  panel.webview.html = await graphHtml({
    title: `graph ${graph ?? ""} — ${basename(file)}`,
    graph: parseGraphJson(r.stdout),
    cspSource: panel.webview.cspSource,
    nonce,
    note: "Updates when the file is saved. Double-click a node to go to it.",
  });
}

async function revealNode(file: string, node: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(file);
  const m = new RegExp(`^[ \\t]*node[ \\t]+${node.replace(/[^A-Za-z0-9_]/g, "")}\\b`, "m").exec(doc.getText());
  if (!m) return;
  const pos = doc.positionAt(m.index + m[0].length - node.length);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos.translate(0, node.length)) });
}

async function runTests(uri: vscode.Uri | undefined): Promise<void> {
  const doc = await targetFile(uri);
  if (!doc) return;
  const file = doc.uri.fsPath;
  testOutput ??= vscode.window.createOutputChannel("AWR Tests");
  const out = testOutput;
  out.clear();
  out.show(true);
  out.appendLine(`$ awr test ${basename(file)}`);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `AWR: testing ${basename(file)}` },
    () => runAwr(["test", file], dirname(file), (chunk) => out.append(stripAnsi(chunk))),
  );
  if (r.error) {
    out.appendLine(r.error.message);
    void vscode.window.showErrorMessage(`AWR: could not run awr test: ${r.error.message}`);
    return;
  }
  const summary = testSummary(stripAnsi(r.stdout));
  if (summary && summary.passed + summary.failed === 0) void vscode.window.showInformationMessage(`AWR: ${basename(file)} has no tests.`);
  else if (summary && summary.failed === 0 && r.code === 0) void vscode.window.showInformationMessage(`AWR: ${summary.passed} passed, 0 failed`);
  else {
    const text = summary ? `${summary.passed} passed, ${summary.failed} failed` : `awr test exited with ${String(r.code)}`;
    const choice = await vscode.window.showErrorMessage(`AWR: ${text}`, "Show output");
    if (choice) out.show();
  }
}
