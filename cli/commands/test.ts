import { collectSources } from "../files.js";
import type { Command } from "../command.js";
import { Exit, displayPath } from "../io.js";
import { loadPrograms } from "../programs.js";

export const test: Command = {
  name: "test",
  summary: "Run the test blocks of .awr files",
  options: {
    filter: { type: "string", short: "t" },
  },
  help: `Run the test blocks of .awr files: each runs its graph with the mocks it declares, on an
in-memory store and virtual time (retry delays are skipped), then checks its expectations.

Usage: awr test [files|dirs]... [-t NAME]

A prompt or agent without a mock fails the run (tests never call a model); tools without a mock
run for real. The last line is "N passed, N failed".

Options:
  -t, --filter <text>  Only tests whose name contains <text>
  -h, --help           Show this help

Examples:
  awr test examples/support-triage
  awr test . -t refund

Exit codes:
  0  every test passed
  1  a test failed, or the sources have errors
  2  usage error or a missing path
`,
  async run(args, io) {
    const files = collectSources(args.positionals.length ? args.positionals : ["."], io.cwd);
    const programs = await loadPrograms(files, io);
    if (!programs) {
      io.stdout.write("0 passed, 1 failed\n");
      return Exit.errors;
    }
    const { runTests } = await import("../../vm/testing.js");
    const { openTools } = await import("../../host/runtime.js");
    const filter = typeof args.values.filter === "string" ? args.values.filter : undefined;
    let passed = 0;
    let failed = 0;
    const green = (s: string) => (io.stdout.color ? `\x1b[32m${s}\x1b[0m` : s);
    const red = (s: string) => (io.stdout.color ? `\x1b[31m${s}\x1b[0m` : s);
    for (const p of programs) {
      const tools = await openTools(p.baseDir);
      let results: Awaited<ReturnType<typeof runTests>>;
      try {
        results = await runTests(p.plan, { tools, filter: filter ? (n) => n.includes(filter) : undefined });
      } finally {
        await tools.close();
      }
      if (!results.length) continue;
      io.stdout.write(`${displayPath(p.source, io.cwd)}\n`);
      for (const r of results) {
        if (r.ok) {
          passed++;
          io.stdout.write(`  ${green("✓")} ${r.name} (${r.durationMs} ms)\n`);
          continue;
        }
        failed++;
        io.stdout.write(`  ${red("✗")} ${r.name} — run ${r.status}${r.error ? `: ${r.error}` : ""}\n`);
        for (const e of r.expects.filter((x) => !x.ok)) {
          io.stdout.write(`      ${e.loc.file}:${e.loc.line}:${e.loc.column}: expect ${e.text}${e.detail ? ` — ${e.detail}` : ""}\n`);
        }
      }
    }
    io.stdout.write(`${passed} passed, ${failed} failed\n`);
    return failed ? Exit.errors : Exit.ok;
  },
};
