import { type Command } from "../command.js";
import { Exit, UsageError } from "../io.js";
import { MODELS_HELP, TRUST_OPTIONS, durationArg, trustFiles } from "../runs.js";
import { readTrustKeys } from "../../host/runtime.js";
import { storeLocation } from "../../host/stores.js";

export const worker: Command = {
  name: "worker",
  summary: "Take queued runs from a PostgreSQL store and execute them (many workers share one store)",
  options: {
    store: { type: "string" },
    concurrency: { type: "string" },
    heartbeat: { type: "string" },
    grace: { type: "string" },
    models: { type: "string" },
    json: { type: "boolean" },
    ...TRUST_OPTIONS,
  },
  help: `Execute the runs queued in a PostgreSQL store, with any number of other workers on the same
store (DESIGN §9). Each run continues from its journal: finished effects are never repeated. A run
advances in one worker at a time; the worker renews its claim on every run it executes each
--heartbeat, and a worker that stops renewing (killed, paused, cut off) has its runs taken over by
another after three heartbeats. A worker that lost a run that way and still executes it stores
nothing more once the other has moved it on (it reports the run as lost).

Each run executes with the plan stored with it, the js tools of the directory it was started from
and the --models it was started with (like awr resume). Runs are queued by the processes that
start them; see docs/scale-out.md.

SIGINT or SIGTERM stops taking runs, waits up to --grace for those in flight, then hands the rest
back to the queue (another worker continues them from their journals) and exits.

Usage: awr worker --store postgres://user@host/db[?schema=NAME] [--concurrency N] [options]

Options:
  --store <spec>        The PostgreSQL store (default AWR_STORE); the queue's tables are in the
                        schema <schema>_queue beside it
  --concurrency <n>     Runs executing at once (default 1)
  --heartbeat <dur>     How often claims are renewed (default 10s); a claim not renewed for three
                        heartbeats is taken over
  --grace <dur>         On SIGINT/SIGTERM, how long to let runs in flight finish (default 30s)
${MODELS_HELP}
                       (for every run, instead of what each was started with)
  --trust <key.pub>     Execute only runs whose stored plan is signed by this public key
                        (repeatable; AWR_TRUST adds key files): another run is reported as an
                        error, tried again later, and given up after 20 attempts
  --json                One JSON object per line on stdout for each thing that happens to a run
  -h, --help            Show this help

Examples:
  awr worker --store 'postgres://awr@db.internal:5432/runs' --concurrency 4
  AWR_STORE='postgres://awr@db.internal/runs?schema=staging' awr worker

Exit codes:
  0    stopped by SIGINT or SIGTERM
  2    usage error, or a store that is not PostgreSQL or cannot be reached
`,
  async run(args, io) {
    const spec = args.values.store as string | undefined;
    if (spec === undefined || storeLocation(spec, io.cwd).kind !== "postgres") {
      throw new UsageError("awr worker needs a PostgreSQL store: --store postgres://user@host/database (or AWR_STORE)", "runs on a SQLite file or memory: execute in the process that starts them (awr run)");
    }
    const concurrency = args.values.concurrency === undefined ? 1 : Number(args.values.concurrency);
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)) throw new UsageError(`--concurrency "${String(args.values.concurrency)}" is not a whole number from 1 to 1000`);
    const heartbeatMs = typeof args.values.heartbeat === "string" ? durationArg(args.values.heartbeat, "--heartbeat") : undefined;
    const graceMs = typeof args.values.grace === "string" ? durationArg(args.values.grace, "--grace") : 30_000;
    const json = args.values.json === true;
    const files = trustFiles(args.values, io);
    const trust = files.length === 0 ? undefined : await readTrustKeys(files, io.cwd);
    const { openWorker } = await import("../../server/index.js");
    const say = (line: string) => io.stderr.write(`awr worker: ${line}\n`);
    const opened = await openWorker({
      store: spec,
      cwd: io.cwd,
      env: io.env,
      concurrency,
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      ...(typeof args.values.models === "string" ? { models: args.values.models } : {}),
      ...(trust ? { trust } : {}),
      report(r) {
        if (json) io.stdout.write(`${JSON.stringify({ ...r, at: new Date().toISOString() })}\n`);
        else say(describe(r));
      },
    });
    say(`ready: ${opened.label}, concurrency ${concurrency}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop).off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop).on("SIGTERM", stop);
    });
    say(`stopping: ${opened.worker.running.length} run(s) in flight, up to ${graceMs} ms`);
    await opened.close(graceMs);
    say("stopped");
    return Exit.ok;
  },
};

function describe(r: import("../../server/index.js").WorkerReport): string {
  switch (r.kind) {
    case "took":
      return `run ${r.runId}: taken${r.attempt > 0 ? ` (claim ${r.attempt + 1}: taken over or handed back before)` : ""}`;
    case "finished":
      return `run ${r.runId}: ${r.outcome.status}${r.outcome.error ? ` (${r.outcome.error.kind}: ${r.outcome.error.message})` : ""}`;
    case "skipped":
      return `run ${r.runId}: nothing to do (${r.status})`;
    case "lost":
      return `run ${r.runId}: lost: ${r.message}`;
    case "released":
      return `run ${r.runId}: ${r.reason}`;
    case "error":
      return `${r.runId ? `run ${r.runId}: ` : ""}error: ${r.message}`;
  }
}
