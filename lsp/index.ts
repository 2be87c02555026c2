// awr/lsp — the language server, for embedding: create a connection, `startServer(connection)`,
// then `connection.listen()`. `awr lsp --stdio` does exactly that over stdin/stdout.
export { startServer, type ServerOptions } from "./server.js";
export { Workspace, type WorkspaceOptions } from "./workspace.js";
