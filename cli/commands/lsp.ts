import type { Command } from "../command.js";
import { Exit, UsageError } from "../io.js";

export const lsp: Command = {
  name: "lsp",
  summary: "Start the language server (for editors)",
  options: {
    stdio: { type: "boolean" },
  },
  help: `Start the AWR language server.

Usage: awr lsp --stdio

Speaks the Language Server Protocol over stdin/stdout until the client sends "exit" or closes
stdin. Editors start it themselves; the VS Code extension does. Features: diagnostics, hover,
go to definition, find references, document symbols, completion and quick fixes.

Options:
  --stdio     Use stdin/stdout for the protocol (the only transport)
  -h, --help  Show this help

Examples:
  awr lsp --stdio

Exit codes:
  0  the client sent shutdown, then exit; or closed stdin
  1  the client sent exit without shutdown
  2  usage error
`,
  async run(args) {
    if (!args.values.stdio) throw new UsageError("awr lsp needs --stdio", "the language server speaks LSP over stdin/stdout; editors start it as: awr lsp --stdio");
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`, 'run "awr lsp --help" for usage');
    const { createConnection, StreamMessageReader, StreamMessageWriter } = await import("vscode-languageserver/node");
    const { startServer } = await import("../../lsp/index.js");
    // stdout carries the protocol: anything else printed there would corrupt it.
    for (const m of ["log", "info", "warn", "error", "debug"] as const) console[m] = (...a: unknown[]) => void process.stderr.write(`${a.map(String).join(" ")}\n`);
    const connection = createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
    // Files that are not open are read from disk (host/source-host.ts, the server's default).
    startServer(connection);
    connection.listen();
    // The exit notification ends the process (vscode-languageserver calls process.exit: 0 after
    // shutdown, 1 without). The client closing stdin ends the session too: exit 0. Without this,
    // the pending promise would leave Node's top-level await unsettled when the loop empties (exit 13).
    return await new Promise<number>((resolve) => {
      let done = false;
      const ended = () => {
        if (done) return;
        done = true;
        connection.dispose();
        resolve(Exit.ok);
        // Timers the server may still hold (the parent-process watchdog) must not keep it alive.
        setTimeout(() => process.exit(Exit.ok), 500).unref();
      };
      process.stdin.once("end", ended);
      process.stdin.once("close", ended);
    });
  },
};
