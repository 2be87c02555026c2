import { ask } from "./store.js";
import type { AuditQuery, AuditRecord, ChainReport, RunStore } from "../../vm/types.js";
import type { CliIo } from "../io.js";
import type { Command } from "../command.js";
import { Exit, UsageError } from "../io.js";
import { STORE_HELP, existingStore, openRunStore, storeLabel, timeArg } from "../runs.js";

const OUTCOMES = ["allow", "deny", "approve", "redact", "transform", "ok", "failed", "approved", "rejected", "answered", "succeeded", "retried"];

export const audit: Command = {
  name: "audit",
  summary: "Show or export the audit log: policy decisions and tool calls",
  options: {
    store: { type: "string" },
    run: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    policy: { type: "string" },
    outcome: { type: "string" },
    kind: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    jsonl: { type: "boolean" },
    verify: { type: "boolean" },
  },
  help: `Show the audit log of a store: every policy decision (which rule of which policy allowed,
denied, asked for approval or redacted, at which hook of which call, for whom), every tool call, and
every operator decision about a stopped run (an answer given with awr resume, a resolution with awr
resolve: who decided, and why).
The log is append-only; records never carry the values, only the JSON paths that were redacted.

Usage: awr audit [--run ID] [--since T] [--until T] [--policy P] [--outcome O] [--json | --jsonl]
       awr audit --verify [RUN] [--json]

With --verify, checks the hash chains of the journal and the audit records of one run (or of every
run): prints OK with the number of entries and the head hash of each chain — keep the heads outside
the store to detect a store rewritten as a whole — or names each entry that was edited, inserted,
deleted or moved since it was written.

Options:
${STORE_HELP}
  --run <id>           Only the records of one run
  --since <time>       Records at or after: an ISO date/time, ms since the epoch, or an age
                       such as 30m, 12h, 7d (that long ago)
  --until <time>       Records at or before (same forms)
  --policy <name>      Only the decisions of one policy
  --outcome <o>        Only one outcome: ${OUTCOMES.join(", ")}
  --kind <k>           policy (decisions), tool (tool calls) or operator (resume and resolve)
  --limit <n>          At most n records (the oldest first)
  --json               Print a JSON array
  --jsonl              Print one JSON record per line (an export)
  --verify [RUN]       Check the hash chains of RUN (default: every run) instead of listing
  -h, --help           Show this help

Examples:
  awr audit --run 6f1c2b9e-…
  awr audit --since 24h --outcome deny
  awr audit --store .awr/runs.db --jsonl > audit.jsonl
  awr audit --verify 6f1c2b9e-…

Exit codes:
  0  printed (also when no record matches); with --verify, every chain is intact
  1  with --verify: a chain is broken (each break is listed)
  2  usage error, no store at that path, an unknown run, or an unreadable store
`,
  async run(args, io) {
    if (args.values.verify) return verify(args.positionals, args.values, io);
    if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(" ")}`, "filters are options, e.g. awr audit --run <id>");
    const v = args.values;
    if (v.json && v.jsonl) throw new UsageError("choose one of --json and --jsonl");
    const query: AuditQuery = {};
    if (typeof v.run === "string") query.runId = v.run;
    if (typeof v.policy === "string") query.policy = v.policy;
    if (typeof v.outcome === "string") {
      if (!OUTCOMES.includes(v.outcome)) throw new UsageError(`unknown outcome "${v.outcome}"`, `outcomes: ${OUTCOMES.join(", ")}`);
      query.outcome = v.outcome;
    }
    if (typeof v.kind === "string") {
      if (v.kind !== "policy" && v.kind !== "tool" && v.kind !== "operator") throw new UsageError(`unknown kind "${v.kind}"`, "kinds: policy, tool, operator");
      query.kind = v.kind;
    }
    const now = Date.now();
    if (typeof v.since === "string") query.since = timeArg(v.since, "--since", now);
    if (typeof v.until === "string") query.until = timeArg(v.until, "--until", now);
    if (typeof v.limit === "string") {
      const n = Number(v.limit);
      if (!Number.isInteger(n) || n < 1) throw new UsageError("--limit takes a positive whole number");
      query.limit = n;
    }
    // Reading the log never creates a store.
    const spec = v.store as string | undefined;
    existingStore(spec, io);
    const store = await openRunStore(spec, io);
    try {
      const records = await ask(store.queries.audit(query));
      if (v.jsonl) for (const r of records) io.stdout.write(`${JSON.stringify(r)}\n`);
      else if (v.json) io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
      else io.stdout.write(table(records));
      return Exit.ok;
    } finally {
      await store.close();
    }
  },
};

function table(records: AuditRecord[]): string {
  if (!records.length) return "no audit records\n";
  const rows = records.map((r) => [
    new Date(r.at).toISOString(),
    short(r.runId),
    r.kind === "tool" ? `tool ${r.hook}` : r.hook,
    r.target,
    r.policy ?? "-",
    r.rule ? r.rule.replace(/^policy:[^/]*\//, "") : "-",
    r.outcome,
    [auditChanges(r), r.reason ?? "", r.by !== undefined ? `by ${r.by}` : "", r.comment !== undefined ? `“${r.comment}”` : ""].filter(Boolean).join("; "),
  ]);
  const head = ["time", "run", "hook", "target", "policy", "rule", "outcome", "details"];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join("\n")}\n${records.length} record${records.length === 1 ? "" : "s"}\n`;
}

function short(id: string): string {
  return id.length > 13 ? `${id.slice(0, 12)}…` : id;
}

/** The fields a decision changed: `redacted $.a (email)`, or for a transform `transformed $.a, $.b`. */
export function auditChanges(r: AuditRecord): string {
  if (!r.redacted?.length) return "";
  if (r.outcome === "transform") return `transformed ${r.redacted.map((x) => x.path).join(", ")}`;
  return `redacted ${r.redacted.map((x) => `${x.path} (${x.kind})`).join(", ")}`;
}

/** `awr audit --verify [RUN]`: every chain of the run (or of all runs), OK with its heads or each break. */
async function verify(positionals: string[], v: Record<string, unknown>, io: CliIo): Promise<number> {
  const filters = ["since", "until", "policy", "outcome", "kind", "limit", "jsonl"].filter((k) => v[k] !== undefined);
  if (filters.length) throw new UsageError(`--verify checks whole chains; it takes no --${filters[0]}`, "awr audit --verify [RUN] [--json]");
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(" ")}`, "awr audit --verify [RUN]");
  const runId = positionals[0] ?? (typeof v.run === "string" ? v.run : undefined);
  const spec = v.store as string | undefined;
  existingStore(spec, io);
  const store: RunStore = await openRunStore(spec, io);
  try {
    const reports = await ask(store.log.verify(runId));
    if (runId !== undefined && !reports.length) throw new UsageError(`no run ${runId} in ${storeLabel(spec)}`, 'list the runs of a store with "awr runs [--store PATH]"');
    const broken = reports.filter((r) => r.journal.problems.length || r.audit.problems.length);
    if (v.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else io.stdout.write(verifyText(reports, broken.length));
    return broken.length ? Exit.errors : Exit.ok;
  } finally {
    await store.close();
  }
}

function verifyText(reports: ChainReport[], broken: number): string {
  if (!reports.length) return "no runs\n";
  const out: string[] = [];
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  for (const r of reports) {
    const problems = [...r.journal.problems, ...r.audit.problems];
    out.push(`run ${r.runId}: ${problems.length ? `BROKEN (${plural(problems.length, "problem", "problems")})` : "OK"}`);
    if (problems.length) {
      for (const p of problems) out.push(`  ${p.kind.padEnd(9)} ${p.message}`);
      continue;
    }
    out.push(`  journal  ${plural(r.journal.entries, "entry", "entries").padEnd(12)} head ${r.journal.head}`);
    out.push(`  audit    ${plural(r.audit.entries, "record", "records").padEnd(12)} head ${r.audit.head}`);
    if (r.anchoredAt !== undefined) out.push(`  entries stored before ${new Date(r.anchoredAt).toISOString()} were chained when the store was upgraded (schema 5), not when written`);
  }
  out.push(broken ? `${plural(broken, "run", "runs")} of ${reports.length} BROKEN: the store was changed outside AWR` : `${plural(reports.length, "run", "runs")} verified: OK`);
  return `${out.join("\n")}\n`;
}
