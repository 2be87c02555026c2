// awr/lsp embedded without a `disk`: files that are not open are read from the file system
// (host/source-host.ts), `std/…` from the package's stdlib. In-process, over a pair of streams.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createConnection } from "vscode-languageserver/node";
import {
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
} from "vscode-languageserver-protocol/node";
import { startServer } from "../../lsp/index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-disk-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the server with no options, opens `file` with `text`, and returns its first diagnostics. */
async function diagnosticsOf(file: string, text: string): Promise<Diagnostic[]> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  startServer(server);
  server.listen();
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const published = new Promise<Diagnostic[]>((resolve) => client.onNotification(PublishDiagnosticsNotification.type, (p) => resolve(p.diagnostics)));
  client.listen();
  try {
    await client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {}, initializationOptions: { diagnosticsDelay: 0 } });
    await client.sendNotification(InitializedNotification.type, {});
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: pathToFileURL(file).href, languageId: "awr", version: 1, text } });
    return await published;
  } finally {
    client.dispose();
    server.dispose();
  }
}

describe("startServer without a disk host", () => {
  it("reads imports that are not open from the file system, and std/ from the stdlib", async () => {
    writeFileSync(join(dir, "types.awr"), "type Ticket { id: string }\n");
    const main = join(dir, "main.awr");
    const ds = await diagnosticsOf(main, 'import "./types"\nimport "std/pii"\ngraph g(t: Ticket) -> string {\n  return t.id\n}\n');
    expect(ds.filter((d) => d.severity === 1)).toEqual([]);
  });

  it("still reports an import that is on no disk", async () => {
    const ds = await diagnosticsOf(join(dir, "main.awr"), 'import "./missing"\n');
    expect(ds.map((d) => d.message).join("\n")).toMatch(/missing/);
  });
});
