import { createHash } from "node:crypto";
import { ask } from "./store.js";
import type { Command } from "../command.js";
import { existingFile } from "../files.js";
import { Exit, UsageError, type CliIo } from "../io.js";
import { loadPlanFrom } from "../programs.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel } from "../runs.js";
import type { Plan } from "../../compiler/plan/index.js";
import type { RunStore } from "../../vm/index.js";

const HELP = `Questions about plan versions and the runs pinned to them. Every run keeps the plan it started
with for its whole life; "compat" says which waiting runs of one plan could move to another.

Usage: awr plans compat <OLD> <NEW> [--store <spec>] [--json]

OLD and NEW are each a program (.awr, compiled now), a plan file (.awrp) or the sha256 of a plan in
the store (as "awr runs" and GET /v1/runs show it; a unique prefix of 8 or more characters will do
for the plan of a waiting run).

compat: for every waiting run of OLD, replays its journal against NEW offline (no model, tool or
person is asked; the store is not changed). The run could continue on NEW when NEW has its graph,
takes the same steps with the same requests to the same waits, and awaits answers of the same types.

Options:
${STORE_HELP}
  --json         Print { old, new, runs: [{ runId, graph, compatible, problems }] }
  -h, --help     Show this help

Examples:
  awr plans compat 3f9a0c1e main.awr            # could today's program take over the waiting runs?
  awr plans compat v1.awrp v2.awrp --json

Exit codes:
  0  every waiting run of OLD could continue on NEW (or none is waiting)
  1  at least one could not (each is listed with why)
  2  usage error, an unreadable program or plan, a missing store, or OLD/NEW not found
`;

export const plans: Command = {
  name: "plans",
  summary: "Which waiting runs of one plan could continue on another (plans compat OLD NEW)",
  options: { store: { type: "string" }, json: { type: "boolean" } },
  help: HELP,
  async run(args, io) {
    const [sub, oldArg, newArg, ...rest] = args.positionals;
    if (sub !== "compat") throw new UsageError(sub === undefined ? "missing subcommand" : `unknown subcommand "${sub}"`, 'the subcommand is "compat": awr plans compat <OLD> <NEW>');
    if (oldArg === undefined || newArg === undefined || rest.length) throw new UsageError("awr plans compat takes two plans: OLD and NEW", 'run "awr plans --help" for usage');
    const storeArg = args.values.store as string | undefined;
    existingStore(storeArg, io);
    const store = await openRunStore(storeArg, io);
    try {
      const waiting = await ask(store.queries.list({ status: "suspended", limit: 100_000 }));
      const older = await planArg(oldArg, store, waiting.map((r) => r.planHash), io, storeArg);
      const newer = await planArg(newArg, store, waiting.map((r) => r.planHash), io, storeArg);
      if (!older || !newer) return Exit.errors;
      const { compatOfRun } = await import("../../vm/compat.js");
      const reports = [];
      for (const r of waiting.filter((w) => w.planHash === older.hash)) {
        const loaded = await ask(store.log.load(r.runId));
        if (loaded) reports.push(await compatOfRun(store, loaded, older.plan, newer.plan));
      }
      const bad = reports.filter((r) => !r.compatible);
      if (args.values.json) io.stdout.write(`${JSON.stringify({ old: older.hash, new: newer.hash, runs: reports }, null, 2)}\n`);
      else {
        io.stdout.write(`${reports.length} waiting run${reports.length === 1 ? "" : "s"} of plan ${older.hash.slice(0, 12)}: ${reports.length - bad.length} could continue on ${newer.hash.slice(0, 12)}, ${bad.length} could not\n`);
        for (const r of reports) {
          io.stdout.write(`  ${r.runId} (${r.graph}): ${r.compatible ? "compatible" : "not compatible"}\n`);
          for (const p of r.problems) io.stdout.write(`      ${p}\n`);
        }
      }
      return bad.length ? Exit.errors : Exit.ok;
    } finally {
      await store.close();
    }
  },
};

/** A plan argument: a program, a plan file, or a plan hash (full, or a prefix of a waiting run's). */
async function planArg(arg: string, store: RunStore, known: string[], io: CliIo, storeArg: string | undefined): Promise<{ plan: Plan; hash: string } | undefined> {
  if (/^[0-9a-f]{8,64}$/.test(arg)) {
    const matches = arg.length === 64 ? [arg] : [...new Set(known.filter((h) => h.startsWith(arg)))];
    if (matches.length > 1) throw new UsageError(`${arg} is the start of ${matches.length} plan hashes`, "give more characters of the hash");
    const hash = matches[0];
    const bytes = hash === undefined ? undefined : await ask(store.log.getBlob(hash));
    if (!hash || !bytes) throw new UsageError(`no plan ${arg} in ${storeLabel(storeArg)}`, "give the full sha256 of a stored plan, or a .awr/.awrp file");
    const { decodePlan } = await import("../../compiler/plan/codec.js");
    return { plan: decodePlan(bytes), hash };
  }
  const loaded = await loadPlanFrom(existingFile(arg, io.cwd), io);
  if (!loaded) return undefined;
  let bytes = loaded.bytes;
  if (!bytes) bytes = (await import("../../compiler/plan/codec.js")).encodePlan(loaded.plan);
  return { plan: loaded.plan, hash: createHash("sha256").update(bytes).digest("hex") };
}
