// awr/lsp — the language server, for embedding: create a connection,
// `startServer(connection, { disk })` (`disk` makes the SourceHost for files that are not open; by
// default the file system's, host/source-host.ts), then `connection.listen()`. `awr lsp --stdio`
// does exactly that over stdin/stdout.
export { startServer, type ServerOptions } from "./server.js";
export { Workspace, type WorkspaceOptions } from "./workspace.js";
