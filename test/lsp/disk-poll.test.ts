// Changed files on disk reach the diagnostics of open documents also for clients that cannot
// register file watching (lsp/disk-poll.ts): the server polls the mtimes of the unopened files the
// open programs loaded. A client that can watch gets no polling (it sends didChangeWatchedFiles).
// In-process, over a pair of streams, on a temporary directory.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createConnection } from "vscode-languageserver/node";
import {
  createProtocolConnection,
  DidChangeWatchedFilesNotification,
  DidOpenTextDocumentNotification,
  FileChangeType,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type Diagnostic,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { startServer } from "../../lsp/index.js";
import { DiskPoll } from "../../lsp/disk-poll.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-lsp-poll-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TYPES = "type Ticket { id: string }\n";
const RENAMED = "type Case { id: string }\n";
const MAIN = 'import "./types.awr"\n\nmodel m {\n  provider: "openai"\n  name: "gpt-4o-mini"\n}\n\nprompt p(t: Ticket) -> string {\n  model: m\n  user #"{{ t.id }}"#\n}\n';

interface Session {
  client: ProtocolConnection;
  latest: () => Diagnostic[] | undefined;
  published: () => number;
  until: (ok: (ds: Diagnostic[]) => boolean, ms?: number) => Promise<Diagnostic[]>;
  stop: () => Promise<void>;
}

async function start(capabilities: ClientCapabilities): Promise<Session> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const { workspace } = startServer(server);
  server.listen();
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  let latest: Diagnostic[] | undefined;
  let count = 0;
  client.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri.endsWith("main.awr")) (latest = p.diagnostics), count++;
  });
  client.onRequest(RegistrationRequest.type, () => undefined);
  client.listen();
  await client.sendRequest(InitializeRequest.type, { processId: null, rootUri: pathToFileURL(dir).href, capabilities, initializationOptions: { diagnosticsDelay: 0, diskPollInterval: 50 } });
  await client.sendNotification(InitializedNotification.type, {});
  const until = async (ok: (ds: Diagnostic[]) => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!(latest && ok(latest))) {
      if (Date.now() > deadline) throw new Error(`timed out; last diagnostics: ${JSON.stringify(latest)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return latest;
  };
  void workspace;
  return {
    client,
    latest: () => latest,
    published: () => count,
    until,
    stop: async () => {
      await client.sendRequest(ShutdownRequest.type);
      client.dispose();
      server.dispose();
    },
  };
}

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 1).map((d) => d.code);

describe("a client without dynamic file-watching registration", () => {
  it("sees an unopened import changed on disk, and changed back", async () => {
    writeFileSync(join(dir, "types.awr"), TYPES);
    const s = await start({});
    try {
      await s.client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: pathToFileURL(join(dir, "main.awr")).href, languageId: "awr", version: 1, text: MAIN } });
      await s.until((ds) => errors(ds).length === 0);
      writeFileSync(join(dir, "types.awr"), RENAMED);
      expect(errors(await s.until((ds) => errors(ds).length > 0))).toContain("AWR2010");
      writeFileSync(join(dir, "types.awr"), TYPES);
      await s.until((ds) => errors(ds).length === 0);
    } finally {
      await s.stop();
    }
  });
});

describe("a client that registers file watching", () => {
  it("is not polled: a change on disk shows after didChangeWatchedFiles", async () => {
    writeFileSync(join(dir, "types.awr"), TYPES);
    const s = await start({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } });
    try {
      await s.client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: pathToFileURL(join(dir, "main.awr")).href, languageId: "awr", version: 1, text: MAIN } });
      await s.until((ds) => errors(ds).length === 0);
      const before = s.published();
      writeFileSync(join(dir, "types.awr"), RENAMED);
      await new Promise((r) => setTimeout(r, 400)); // eight poll intervals
      expect(s.published()).toBe(before);
      await s.client.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(join(dir, "types.awr")).href, type: FileChangeType.Changed }] });
      expect(errors(await s.until((ds) => errors(ds).length > 0))).toContain("AWR2010");
    } finally {
      await s.stop();
    }
  });
});

describe("DiskPoll", () => {
  it("watches the unopened non-library modules of open programs, and reports a change once", async () => {
    writeFileSync(join(dir, "types.awr"), TYPES);
    const { Workspace } = await import("../../lsp/workspace.js");
    const { FileHost } = await import("../../host/source-host.js");
    const ws = new Workspace({ disk: () => new FileHost() });
    const main = join(dir, "main.awr");
    ws.setText(main, pathToFileURL(main).href, 'import "std/pii"\n' + MAIN);
    ws.analyse(main);
    const poll = new DiskPoll(ws);
    expect([...poll.watched().keys()]).toEqual([join(dir, "types.awr")]);
    expect(poll.changed()).toBe(false);
    expect(poll.changed()).toBe(false);
    writeFileSync(join(dir, "types.awr"), RENAMED);
    expect(poll.changed()).toBe(true);
    expect(poll.changed()).toBe(false);
  });
});
