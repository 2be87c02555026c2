// `awr context query <name> "<text>"`: what a context would assemble for a query, and why —
// each item's fused score, its rank in each source and its tokens, and what dedup, top and the
// budget dropped. `awr context build <name>` brings the context's vector indexes up to date.
import { existsSync } from "node:fs";
import type { AssembleOptions, RunStore } from "../../vm/types.js";
import { dirname, join, resolve } from "node:path";
import type { Plan } from "../../compiler/plan/index.js";
import type { Assembly, ContextAssembler } from "../../vm/context/index.js";
import type { BuildReport } from "../../vm/context/vector.js";
import type { VmFailure } from "../../vm/types.js";
import { errorTag } from "../../vm/ports/errors.js";
import type { Command, Parsed } from "../command.js";
import { collectSources, existingFile } from "../files.js";
import { type CliIo, Exit, UsageError, displayPath, printError } from "../io.js";
import { jsonArg, openRunStore, storeIsThere } from "../runs.js";
import { FileHost, packageVersion } from "../../host/source-host.js";
import { type LoadedPlan, loadPlanFrom } from "../programs.js";
import { closest } from "../suggest.js";

export const context: Command = {
  name: "context",
  summary: "Show what a context assembles for a query, and why",
  options: {
    file: { type: "string", short: "f" },
    index: { type: "string" },
    embedder: { type: "string" },
    json: { type: "boolean" },
    text: { type: "boolean" },
    store: { type: "string" },
    session: { type: "string" },
    principal: { type: "string" },
    models: { type: "string" },
  },
  help: `Show what a context declaration would give an agent for a query: the items kept (fused score,
rank in each source, tokens) and what was dropped and why (dedup, top, budget).

Usage: awr context query <name> "<query text>" [options]
       awr context build <name> [options]

Options:
  -f, --file <file>       The program (.awr entry or .awrp plan); default: main.awr in the current
                          directory, else the one program under it (without errors) that
                          declares <name>
  --index <dir>           Where vector indexes are kept (default .awr/index, beside the run store)
  --embedder <spec>       local (default: deterministic, offline) or openai:<model> (the
                          /embeddings endpoint at OPENAI_BASE_URL with OPENAI_API_KEY)
  --text                  Print only the assembled text (what the agent receives)
  --json                  Print the whole assembly as JSON
  --store <spec>          The run store sessions() sources search (default .awr/runs.db; a
                          missing file is not created: those sources find nothing), memory:,
                          or postgres://user@host:5432/db[?schema=awr]
  --session <id>          Ask as a run of this session (sessions() leave it out by default)
  --principal <id|json>   Ask as this principal: an id, or a record like awr run's (default
                          anonymous); sessions() sources with scope "principal" search its sessions
  --models <spec>         Call the context's summarize prompt when the budget drops something:
                          openai or recorded:<file.jsonl>; without it the text is trimmed to the
                          budget and a warning says so
  -h, --help              Show this help

Source paths are relative to the .awr file that declares the context. Vector indexes are built
on first use and then updated incrementally: only new or edited documents are embedded.

Examples:
  awr context query help_center "why is my first invoice higher?" --file examples/multi-agent-handoff/main.awr
  awr context query support_kb "refund for a damaged item" --json
  awr context build help_center -f examples/multi-agent-handoff/main.awr

Exit codes:
  0  assembled (possibly nothing)
  1  the sources have errors, or the embedding service failed
  2  usage error, an unknown context, or a source that cannot be read
`,
  async run(args, io) {
    const [sub, name, ...rest] = args.positionals;
    if (sub !== "query" && sub !== "build")
      throw new UsageError(
        sub === undefined ? "missing subcommand" : `unknown subcommand "${sub}"`,
        'use "awr context query <name> "<text>"" or "awr context build <name>"',
      );
    if (name === undefined) throw new UsageError("missing context name", `run "awr context --help" for usage`);
    if (sub === "query" && rest.length !== 1)
      throw new UsageError(
        rest.length === 0 ? "missing query text" : `expected one query text, got ${rest.length} (quote it)`,
        `awr context query ${name} "your question"`,
      );
    if (sub === "build" && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, `awr context build ${name}`);
    const loaded = await findProgram(args, name, io);
    if (!loaded) return Exit.errors;
    const store = await sessionStore(loaded.plan.contexts[name]!, args, io);
    const assembler = await makeAssembler(loaded, args, io, store);
    const signal = new AbortController().signal;
    try {
      if (sub === "build") {
        const reports = await assembler.build(name, signal);
        if (args.values.json === true) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
        else
          io.stdout.write(
            reports.length === 0
              ? `context ${name} has no vector source: nothing to index\n`
              : reports.map((r) => `${r.source}: ${describeBuild(r)}\n`).join(""),
          );
        return Exit.ok;
      }
      const a = await assembler.assemble(name, rest[0]!, signal, asker(args, io));
      if (args.values.json === true) io.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
      else if (args.values.text === true) io.stdout.write(a.text === "" ? "" : `${a.text}\n`);
      else io.stdout.write(render(a, io));
      for (const w of a.warnings) io.stderr.write(`warning: ${w}\n`);
      return Exit.ok;
    } catch (e) {
      if (errorTag(e) !== "VmFailure") throw e;
      printError(io, (e as VmFailure).message);
      return (e as VmFailure).info.kind === "tool" ? Exit.usage : Exit.errors;
    } finally {
      await store?.close();
    }
  },
};

/** The run store a context with a `sessions()` source searches: --store, else .awr/runs.db when it exists. */
async function sessionStore(ctx: Plan["contexts"][string], args: Parsed, io: CliIo): Promise<RunStore | undefined> {
  if (!ctx.sources.some((s) => s.kind === "sessions")) return undefined;
  const spec = typeof args.values.store === "string" ? args.values.store : undefined;
  if (!storeIsThere(spec, io)) return undefined;
  return openRunStore(spec, io);
}

/** Who asks: --session and --principal (an id, or a JSON record with an id). */
function asker(args: Parsed, io: CliIo): AssembleOptions {
  const who: AssembleOptions = {};
  const session = args.values.session;
  if (typeof session === "string") {
    if (session.trim() === "") throw new UsageError("--session needs an id, e.g. --session customer-42");
    who.sessionId = session;
  }
  const p = args.values.principal;
  if (typeof p === "string") who.principal = /^\s*[{@]/.test(p) ? (jsonArg(p, "--principal", io) ?? null) : { id: p, roles: [], attrs: {} };
  return who;
}

/** --file, else ./main.awr, else the one program under the working directory that declares `name`. */
async function findProgram(args: Parsed, name: string, io: CliIo): Promise<LoadedPlan | undefined> {
  const file = typeof args.values.file === "string" ? args.values.file : existsSync(join(io.cwd, "main.awr")) ? "main.awr" : undefined;
  let candidates: LoadedPlan[];
  if (file !== undefined) {
    const loaded = await loadPlanFrom(existingFile(file, io.cwd), io);
    if (!loaded) return undefined;
    candidates = [loaded];
  } else candidates = await programsUnder(io);
  const having = candidates.filter((p) => p.plan.contexts[name]);
  if (having.length === 1) return having[0];
  if (having.length > 1)
    throw new UsageError(
      `${having.length} programs declare a context "${name}": ${having.map((p) => displayPath(p.source, io.cwd)).join(", ")}`,
      "choose one with --file",
    );
  const all = [...new Set(candidates.flatMap((p) => Object.keys(p.plan.contexts)))].sort();
  const where = file !== undefined ? displayPath(resolve(io.cwd, file), io.cwd) : "the programs under this directory without errors";
  const guess = await closest(name, all);
  throw new UsageError(
    `no context "${name}" in ${where}`,
    guess
      ? `did you mean "${guess}"?`
      : all.length > 0
        ? `contexts: ${all.join(", ")}`
        : file === undefined
          ? "name the program with --file"
          : "it declares no context",
  );
}

/** The programs under the working directory that compile; programs with errors are skipped silently. */
async function programsUnder(io: CliIo): Promise<LoadedPlan[]> {
  const { checkFiles } = await import("../../compiler/index.js");
  const { ParseCache } = await import("../../compiler/index.js");
  const { hasErrors } = await import("../../compiler/index.js");
  const { results } = checkFiles(collectSources(["."], io.cwd), new FileHost(), new ParseCache(), { plan: true, compilerVersion: packageVersion() });
  return results
    .filter((r) => !hasErrors(r.diagnostics) && r.plan)
    .map((r) => ({ plan: r.plan!, baseDir: dirname(r.program.entries[0]!), source: r.program.entries[0]! }));
}

async function makeAssembler(loaded: LoadedPlan, args: Parsed, io: CliIo, store: RunStore | undefined): Promise<ContextAssembler> {
  const { openContextAssembler } = await import("../../host/runtime.js");
  return openContextAssembler({
    plan: loaded.plan,
    root: loaded.baseDir,
    indexDir: resolve(io.cwd, typeof args.values.index === "string" ? args.values.index : join(".awr", "index")),
    ...(typeof args.values.embedder === "string" ? { embedder: args.values.embedder } : {}),
    ...(store ? { store } : {}),
    ...(typeof args.values.models === "string" ? { models: args.values.models } : {}),
    cwd: io.cwd,
    env: io.env,
  });
}

function describeBuild(r: BuildReport): string {
  const parts = [`${plural(r.documents, "document")}, ${plural(r.chunks, "chunk")}`];
  if (r.loaded) parts.push("index loaded");
  if (r.rebuilt) parts.push(`rebuilt: ${r.rebuilt}`);
  parts.push(
    r.embedded === 0 ? "up to date" : `embedded ${plural(r.embedded, "chunk")} (documents: ${r.added} added, ${r.changed} changed, ${r.removed} removed)`,
  );
  return parts.join("; ");
}

function render(a: Assembly, io: CliIo): string {
  const dim = (s: string) => (io.stdout.color ? `\x1b[2m${s}\x1b[0m` : s);
  const bold = (s: string) => (io.stdout.color ? `\x1b[1m${s}\x1b[0m` : s);
  const lines: string[] = [];
  lines.push(bold(`context ${a.context} · query ${JSON.stringify(a.query)}`) + (a.cacheHit ? dim(" (cached)") : ""));
  const sources = a.sources.map((s) => {
    const b = s.build ? `, ${plural(s.build.chunks, "chunk")}${s.build.embedded > 0 ? `, ${s.build.embedded} embedded now` : ""}` : "";
    return `${s.name} (${s.kind}, ${plural(s.documents, "document")}${b}, ${plural(s.hits, "hit")})`;
  });
  lines.push(`sources: ${sources.join(", ")}`);
  lines.push("");
  if (a.items.length === 0) lines.push(a.dropped.length > 0 ? "nothing assembled: everything found was dropped (below)" : "nothing assembled: no source found anything for this query");
  else {
    const idWidth = Math.min(40, Math.max(2, ...a.items.map((i) => i.id.length)));
    const srcWidth = Math.max(6, ...a.items.map((i) => i.source.length));
    lines.push(dim(`  #  score   tokens  ${"source".padEnd(srcWidth)}  ${"id".padEnd(idWidth)}  ranks`));
    a.items.forEach((item, n) => {
      const ranks = Object.entries(item.ranks)
        .map(([s, r]) => `${s} #${r}`)
        .join(", ");
      lines.push(
        `${String(n + 1).padStart(3)}  ${item.score.toFixed(4)}  ${String(item.tokens).padStart(6)}  ${item.source.padEnd(srcWidth)}  ${item.id.padEnd(idWidth)}  ${ranks}${item.truncated ? "  (truncated)" : ""}`,
      );
      lines.push(dim(`     ${preview(item.text)}`));
    });
  }
  lines.push("");
  const budget = a.budget === null ? "no budget" : `of ${a.budget}`;
  if (a.summarized) lines.push(`summary (the text the agent receives):`, ...a.text.split("\n").map((l) => `  ${l}`), "");
  lines.push(`${a.items.length} item${a.items.length === 1 ? "" : "s"}, ${a.tokens} tokens ${budget} (cl100k_base)${a.summarized ? ", summarised" : ""}`);
  if (a.dropped.length > 0) {
    lines.push("");
    lines.push("dropped:");
    const w = Math.min(40, Math.max(...a.dropped.map((d) => d.id.length)));
    for (const d of a.dropped) lines.push(`  ${d.id.padEnd(w)}  ${d.why}`);
  }
  return `${lines.join("\n")}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}
