// awr/lsp — the language server, for embedding: create a connection,
// `startServer(connection, { disk })` (`disk` makes the SourceHost for files that are not open),
// then `connection.listen()`. `awr lsp --stdio` does exactly that over stdin/stdout, with the
// file-system host.
export { startServer, type ServerOptions } from "./server.js";
export { Workspace, type WorkspaceOptions } from "./workspace.js";
