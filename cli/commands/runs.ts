import { ask } from "./store.js";
import type { Command } from "../command.js";
import { Exit, UsageError } from "../io.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel } from "../runs.js";

export const runs: Command = {
  name: "runs",
  summary: "List runs, or show one with its journal",
  options: {
    store: { type: "string" },
    json: { type: "boolean" },
    limit: { type: "string" },
  },
  help: `List the runs of a store (newest first), or show one run with its journal.

Usage: awr runs [list] [--limit N]
       awr runs show <run-id>

Options:
${STORE_HELP}
  --limit <n>       How many runs to list (default 20)
  --json            Print JSON
  -h, --help        Show this help

Examples:
  awr runs
  awr runs show 6f1c2b9e-… --store .awr/runs.db

Exit codes:
  0  printed
  2  usage error, an unknown run, or a missing or unreadable store (none is created)
`,
  async run(args, io) {
    const [sub = "list", id, ...extra] = args.positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
    const storeArg = args.values.store as string | undefined;
    existingStore(storeArg, io);
    const store = await openRunStore(storeArg, io);
    try {
      if (sub === "list") {
        const limit = typeof args.values.limit === "string" ? Number(args.values.limit) : 20;
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit takes a positive whole number");
        const list = await ask(store.queries.list({ limit }));
        if (args.values.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (!list.length) io.stdout.write("no runs\n");
        else
          for (const r of list) {
            io.stdout.write(`${r.runId}  ${r.status.padEnd(15)} ${r.graph.padEnd(20)} ${new Date(r.updatedAt).toISOString()}\n`);
          }
        return Exit.ok;
      }
      if (sub === "show") {
        if (!id) throw new UsageError("missing run id", 'run "awr runs show <run-id>"');
        const loaded = await ask(store.log.load(id));
        if (!loaded) throw new UsageError(`no run ${id} in ${storeLabel(storeArg)}`, 'list the runs of a store with "awr runs [--store PATH]"');
        if (args.values.json) {
          io.stdout.write(`${JSON.stringify({ ...loaded.snapshot, journal: loaded.journal }, null, 2)}\n`);
          return Exit.ok;
        }
        const r = loaded.snapshot;
        io.stdout.write(`run ${r.runId}\n  graph    ${r.graph}\n  status   ${r.status}\n  started  ${new Date(r.createdAt).toISOString()}\n  updated  ${new Date(r.updatedAt).toISOString()}\n`);
        if (r.error) io.stdout.write(`  error    ${r.error.kind}: ${r.error.message}\n`);
        for (const p of r.pending ?? []) io.stdout.write(`  waiting  ${p.kind} ${p.id}: ${p.reason}\n`);
        io.stdout.write(`journal (${loaded.journal.length} entries)\n`);
        for (const e of loaded.journal) {
          io.stdout.write(`  ${String(e.seq).padStart(4)} ${e.phase.padEnd(7)} ${e.kind.padEnd(12)} ${e.key}${e.error ? `  ✗ ${e.error.kind}: ${e.error.message}` : ""}\n`);
        }
        return Exit.ok;
      }
      throw new UsageError(`unknown subcommand "${sub}"`, "use awr runs list or awr runs show <run-id>");
    } finally {
      await store.close();
    }
  },
};
