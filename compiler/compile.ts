import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { dedupeDiagnostics as dedupe, hasErrors, sortDiagnostics } from "./diagnostics/diagnostic.js";
import type { Program, SourceHost } from "./semantic/program.js";
import { ParseCache, loadProgram } from "./semantic/load.js";
import type { CheckResult } from "./semantic/check/index.js";
import { Session } from "./session.js";
import { graphCost } from "./analysis/cost.js";
import { lowerProgram } from "./lower/index.js";
import type { Plan } from "./plan/types.js";
import { VERSION } from "./version.js";

export interface CompileOptions {
  /** Lower to a plan (only when there are no errors). */
  plan?: boolean;
  compilerVersion?: string;
  /**
   * Directory that file ids in the plan are made relative to (so a plan does not depend on the
   * machine it was built on). Defaults to the longest common directory of the entries.
   */
  root?: string;
  cache?: ParseCache;
}

export interface CompileResult {
  program: Program;
  check: CheckResult;
  diagnostics: Diagnostic[];
  plan?: Plan;
}

/**
 * The whole pipeline for one program: load → parse → check → analyse → (lower). Pure. The analysis
 * is a one-shot `Session` (the language server's pipeline, without its caches); lowering follows.
 */
export function compile(entries: string[], host: SourceHost, opts: CompileOptions = {}): CompileResult {
  const a = new Session(() => host, { incremental: false, ...(opts.cache ? { parses: opts.cache } : {}) }).analyseEntries(entries);
  const { program, check, diagnostics: all } = a;
  const result: CompileResult = { program, check, diagnostics: all };
  if (opts.plan && !hasErrors(all)) {
    const plan = lowerProgram(program, { compilerVersion: opts.compilerVersion ?? VERSION });
    for (const m of program.modules.values()) {
      for (const d of m.ast.decls) {
        if (d.kind !== "GraphDecl" || !plan.graphs[d.name.name]) continue;
        const c = graphCost(program, d);
        plan.graphs[d.name.name]!.cost = {
          model_calls: c.modelCalls,
          tokens: c.tokens,
          usd: c.usd,
          ...(c.reasons.length ? { unbounded_reason: c.reasons.join("; ") } : {}),
        };
      }
    }
    relativize(plan, program, opts.root ?? commonDir(program.entries));
    // Not validated against the plan schema here: the compiler trusts its own lowering (the tests
    // validate every lowered plan: test/compiler/examples.test.ts, test/plan/lower-helpers.ts), and
    // every plan loaded from bytes is validated by decodePlan. It kept zod off `check` and ~15 % off `run`.
    result.plan = plan;
  }
  return result;
}

/**
 * Checks many files at once, as `awr check dir/` does: files imported by other given files belong
 * to their importer's program; each remaining file is the root of its own program. Diagnostics are
 * deduplicated (a module shared by two programs is reported once).
 */
export function checkFiles(
  files: string[],
  host: SourceHost,
  cache = new ParseCache(),
  /** Forwarded to each program's `compile` (e.g. `plan: true` to lower them too). */
  opts: Omit<CompileOptions, "cache"> = {},
): { programs: Program[]; results: CompileResult[]; diagnostics: Diagnostic[] } {
  const imported = new Set<string>();
  for (const f of files) {
    const { program } = loadProgram([f], host, cache);
    for (const m of program.modules.keys()) if (m !== f) imported.add(m);
  }
  const roots = files.filter((f) => !imported.has(f));
  // An import cycle leaves no root among its files: check them from the first one.
  const covered = new Set<string>();
  const results: CompileResult[] = [];
  for (const r of roots) {
    const res = compile([r], host, { ...opts, cache });
    results.push(res);
    for (const m of res.program.modules.keys()) covered.add(m);
  }
  for (const f of files) {
    if (covered.has(f)) continue;
    const res = compile([f], host, { ...opts, cache });
    results.push(res);
    for (const m of res.program.modules.keys()) covered.add(m);
  }
  return {
    programs: results.map((r) => r.program),
    results,
    diagnostics: sortDiagnostics(dedupe(results.flatMap((r) => r.diagnostics))),
  };
}


function commonDir(files: string[]): string {
  const dirs = files.map((f) => f.replace(/[\\/][^\\/]*$/, ""));
  if (dirs.length === 0) return "";
  let prefix = dirs[0]!;
  for (const d of dirs.slice(1)) {
    while (prefix && d !== prefix && !d.startsWith(prefix + "/")) prefix = prefix.replace(/[\\/][^\\/]*$/, "");
  }
  return prefix;
}

/**
 * Rewrites every file id in the plan (entry, loc.file) relative to `root`; library modules become
 * `std/NAME.awr`, so a plan names no path of the machine that built it.
 */
function relativize(plan: Plan, program: Program, root: string) {
  const rel = (f: string) => {
    const std = program.modules.get(f)?.library ? /[\\/](std[\\/].*)$/.exec(f) : null;
    if (std) return std[1]!.replace(/\\/g, "/");
    return root && f.startsWith(root + "/") ? f.slice(root.length + 1) : f;
  };
  plan.entry = plan.entry.map(rel);
  const walk = (x: unknown) => {
    if (!x || typeof x !== "object") return;
    if (Array.isArray(x)) return x.forEach(walk);
    const o = x as Record<string, unknown>;
    if (o["loc"] && typeof o["loc"] === "object") {
      const loc = o["loc"] as { file?: unknown };
      if (typeof loc.file === "string") loc.file = rel(loc.file);
    }
    for (const [k, v] of Object.entries(o)) if (k !== "loc" && v && typeof v === "object") walk(v);
  };
  walk(plan);
}
