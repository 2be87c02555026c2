// Cold starts (docs/performance.md § Cold starts): a command loads what it uses. Not a timing — which
// modules a whole `awr` process loads, listed by a loader hook (bench/lib/module-count.mjs), so a
// static import that drags the compiler into `awr --version` or the VM into `awr check` fails here.
// Also: `awr --help` lists every command from main.ts's light table, which must agree with the
// command modules it loads lazily.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { COMMANDS, main } from "../../cli/main.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "awr.mjs");
const HOOK = pathToFileURL(join(ROOT, "bench", "lib", "module-count.mjs")).href;
const EX = "examples/support-triage";

/** The files (repo-relative or node_modules/<pkg>/…) a process of `awr …args` loads, and its exit code. */
function loaded(...args: string[]): { files: string[]; status: number | null } {
  const r = spawnSync(process.execPath, ["--import", HOOK, BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, AWR_MODULES_LIST: "1", NO_COLOR: "1", AWR_STORE: "", OPENAI_API_KEY: "" },
  });
  // The summary line comes last: without it the list is cut short and proves nothing.
  expect(r.stderr).toMatch(/^\[awr-modules \d+\]/m);
  const files = [...r.stderr.matchAll(/^\[awr-module\] (.*)$/gm)].map((m) => m[1]!.replace(/^.*?\/node_modules\//, "node_modules/").replace(`${ROOT}/`, ""));
  return { files, status: r.status };
}
const under = (files: string[], prefix: string) => files.filter((f) => f.startsWith(prefix));

describe("a command loads what it uses", () => {
  it("awr --version loads no command, no compiler, no VM", () => {
    const { files, status } = loaded("--version");
    expect(status).toBe(0);
    expect(files).toContain("dist/cli/main.js");
    expect(under(files, "dist/cli/commands/")).toEqual([]);
    expect(under(files, "dist/compiler/")).toEqual([]);
    // Besides the error tags and paths: the names a postgres:// spec may carry (two constants, no store).
    const light = new Set(["dist/vm/ports/errors.js", "dist/vm/project-paths.js", "dist/vm/store/postgres-names.js"]);
    expect(under(files, "dist/vm/").filter((f) => !light.has(f))).toEqual([]);
    expect(files.length).toBeLessThan(30);
  });

  it("awr check loads chevrotain's single-file build (no lodash-es), and no VM, effect, openai or zod", () => {
    const { files, status } = loaded("check", EX);
    expect(status).toBe(0);
    expect(files).toContain("dist/compiler/syntax/chevrotain.js");
    expect(files).toContain("node_modules/chevrotain/lib/chevrotain.mjs");
    expect(under(files, "node_modules/lodash-es/")).toEqual([]);
    expect(under(files, "node_modules/chevrotain/lib/src/")).toEqual([]);
    expect(under(files, "node_modules/effect/")).toEqual([]);
    expect(under(files, "node_modules/openai/")).toEqual([]);
    // The plan's zod schema is for plans read from bytes; check lowers none.
    expect(under(files, "node_modules/zod/")).toEqual([]);
    expect(files).not.toContain("dist/compiler/plan/codec.js");
    expect(files).not.toContain("dist/vm/runtime.js");
    expect(under(files, "dist/cli/commands/")).toEqual(["dist/cli/commands/check.js"]);
  });

  it("awr run on recorded answers and a memory: store loads the VM but not the openai SDK nor better-sqlite3", () => {
    const { files, status } = loaded("run", `${EX}/main.awr`, "--input", `@${EX}/input.json`, "--models", `recorded:${EX}/recorded.jsonl`, "--store", "memory:");
    expect(status).toBe(0);
    expect(files).toContain("dist/vm/runtime.js");
    expect(files).toContain("dist/vm/context/tokens.js");
    expect(under(files, "node_modules/openai/")).toEqual([]);
    expect(under(files, "node_modules/lodash-es/")).toEqual([]);
    expect(files).toContain("dist/vm/store/memory.js");
    expect(under(files, "node_modules/better-sqlite3/")).toEqual([]);
  });
});

describe("the command table of cli/main.ts", () => {
  it("names each command module with its own name and summary", async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect({ name: command.name, summary: command.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
  });

  it("awr --help lists every command with its summary", async () => {
    let out = "";
    const io = { cwd: ROOT, env: {}, stdout: { color: false, write: (t: string) => void (out += t) }, stderr: { color: false, write: () => {} } };
    expect(await main(["--help"], io)).toBe(0);
    expect(COMMANDS.length).toBe(21);
    for (const c of COMMANDS) expect(out).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  });

  it("awr help <command> and awr <command> --help load the command for its help", async () => {
    let out = "";
    const io = { cwd: ROOT, env: {}, stdout: { color: false, write: (t: string) => void (out += t) }, stderr: { color: false, write: () => {} } };
    expect(await main(["help", "graph"], io)).toBe(0);
    expect(out).toContain("mermaid");
    out = "";
    expect(await main(["runs", "--help"], io)).toBe(0);
    expect(out).toContain("awr runs");
  });
});
