// What the built server announces in its `initialize` answer (LspClient.start does not keep it).
import { spawn } from "node:child_process";
import {
  ExitNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type ServerCapabilities,
} from "vscode-languageserver-protocol/node";
import { BIN, ROOT } from "../helpers/awr-cli.js";

export async function serverCapabilities(): Promise<ServerCapabilities> {
  const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.listen();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const init = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    return init.capabilities;
  } finally {
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
    connection.dispose();
  }
}
