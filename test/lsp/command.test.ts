// `awr lsp` as a command: its help, the usage error without a transport, and how it ends.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, awr } from "../helpers/awr-cli.js";

function frame(message: object): string {
  const body = JSON.stringify({ jsonrpc: "2.0", ...message });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Starts `awr lsp --stdio`, sends initialize, waits for its answer, then runs `then` on stdin; resolves with the exit code. */
function session(then: (stdin: NodeJS.WritableStream) => void, processId: number | null): Promise<{ code: number | null; stderr: string; ms: number }> {
  const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let started = 0;
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  child.stdout.setEncoding("utf8").on("data", (t: string) => {
    const first = stdout === "";
    stdout += t;
    if (first) {
      started = Date.now();
      then(child.stdin);
      // A few seconds to leave once the client is done (killed otherwise: the test fails on the code).
      clearTimeout(timer);
      timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    }
  });
  child.stdin.write(frame({ id: 1, method: "initialize", params: { processId, rootUri: null, capabilities: {} } }));
  let timer = setTimeout(() => child.kill("SIGKILL"), 30_000); // starting, on a loaded machine
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

describe.concurrent("awr lsp", () => {
  it("has help naming the transport", async () => {
    const r = await awr(["lsp", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: awr lsp --stdio");
  });

  it("is a usage error without --stdio", async () => {
    const r = await awr(["lsp"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error: awr lsp needs --stdio\nhint: /);
  });

  // Node exits 13 when the loop empties under an unsettled top-level await: the server must settle.
  it("exits 0 within a few seconds when the client closes stdin (also while watching its parent process)", async () => {
    for (const processId of [null, process.pid]) {
      const r = await session((stdin) => stdin.end(), processId);
      expect(r.code, r.stderr).toBe(0);
      expect(r.ms).toBeLessThan(3000);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("exits 0 after shutdown and exit", async () => {
    const r = await session((stdin) => {
      stdin.write(frame({ id: 2, method: "shutdown" }));
      setTimeout(() => stdin.write(frame({ method: "exit" })), 200);
    }, null);
    expect(r.code, r.stderr).toBe(0);
  });
});
