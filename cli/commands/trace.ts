import { ask } from "./store.js";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, onePositional } from "../command.js";
import { packageVersion } from "../../host/source-host.js";
import { Exit, UsageError, displayPath } from "../io.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel } from "../runs.js";

export const trace: Command = {
  name: "trace",
  summary: "Show a run's timeline, or write it as an HTML report",
  options: {
    store: { type: "string" },
    json: { type: "boolean" },
    html: { type: "string" },
  },
  help: `Show the timeline of one run: every step (node invocation) and call with its start offset,
duration, status, tokens and cost, then the totals. Built from the run's stored events, or from the
journal's timestamps when the run has none. On a terminal each row ends with a bar scaled to the
run's duration (COLUMNS sets the width elsewhere); colours follow NO_COLOR.

--html writes one self-contained page (no network requests): the graph with its nodes coloured by
outcome (ok, failed, suspended, not run), the timeline, tokens and cost, and the audit records.

Usage: awr trace <run-id> [--html out.html] [--json]

Options:
${STORE_HELP}
  --html <file>        Write the HTML report to this file
  --json               Print the timeline as JSON (rows, node outcomes, totals, calls, audit)
  -h, --help           Show this help

Examples:
  awr trace 6f1c2b9e-…
  awr trace 6f1c2b9e-… --html run.html --store .awr/runs.db

Exit codes:
  0  printed or written
  2  usage error, an unknown run, an unreadable store, or a file that cannot be written
`,
  async run(args, io) {
    const runId = onePositional("trace", args, "run id");
    const spec = args.values.store as string | undefined;
    existingStore(spec, io);
    const store = await openRunStore(spec, io);
    try {
      const run = await ask(store.log.load(runId));
      if (!run) throw new UsageError(`no run ${runId} in ${storeLabel(spec)}`, 'list the runs of a store with "awr runs [--store PATH]"');
      const { buildTrace, traceText, traceHtml, planLoader } = await import("../../ops/report/index.js");
      const plan = await planLoader(store)(run.snapshot.planHash);
      const events = await ask(store.queries.events(runId));
      const audit = await ask(store.queries.audit({ runId }));
      const t = buildTrace({ run, events, ...(plan ? { plan } : {}) });
      if (typeof args.values.html === "string") {
        const file = resolve(io.cwd, args.values.html);
        const page = await traceHtml({ trace: t, ...(plan ? { plan } : {}), audit, generator: `awr ${packageVersion()}` });
        try {
          writeFileSync(file, page);
        } catch (e) {
          throw new UsageError(`cannot write ${args.values.html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        if (args.values.json) io.stdout.write(`${JSON.stringify({ runId, html: file, bytes: Buffer.byteLength(page) })}\n`);
        else io.stdout.write(`wrote ${displayPath(file, io.cwd)} (${Math.ceil(Buffer.byteLength(page) / 1024)} KB): run ${runId}, ${t.status}\n`);
        return Exit.ok;
      }
      if (args.values.json) {
        io.stdout.write(`${JSON.stringify({ ...t, audit }, null, 2)}\n`);
        return Exit.ok;
      }
      const cols = Number(io.env["COLUMNS"]);
      const width = Number.isInteger(cols) && cols > 0 ? cols : process.stdout.isTTY ? process.stdout.columns : undefined;
      io.stdout.write(traceText(t, { color: io.stdout.color, ...(width ? { width } : {}) }));
      return Exit.ok;
    } finally {
      await store.close();
    }
  },
};
