// Turning command-line paths into runnable plans: `.awr` sources are compiled (diagnostics are
// printed, errors stop), `.awrp` files are decoded. Each plan comes with the directory its file ids
// are relative to, which is where js tool modules are found.
import { readFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import type { Plan } from "../compiler/plan/index.js";
import { FileHost, packageVersion } from "../host/source-host.js";
import { type CliIo, UsageError } from "./io.js";

export interface LoadedPlan {
  plan: Plan;
  baseDir: string;
  /** The file the plan came from (for messages). */
  source: string;
  /** The `.awrp` file's bytes (signed or not); none for a plan compiled from sources. */
  bytes?: Uint8Array;
}

/** One plan from a `.awr` entry or a `.awrp` file; undefined when the sources have errors (printed). */
export async function loadPlanFrom(file: string, io: CliIo): Promise<LoadedPlan | undefined> {
  if (extname(file) === ".awrp") {
    const { decodePlan } = await import("../compiler/plan/codec.js");
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { plan: decodePlan(bytes), baseDir: dirname(file), source: file, bytes };
  }
  const host = new FileHost();
  // The compiler and the diagnostics printer load only for sources: a `.awrp` file needs neither.
  const { compile, hasErrors } = await import("../compiler/index.js");
  const { printDiagnostics, summaryLine } = await import("./report.js");
  const { diagnostics, plan } = compile([file], host, { plan: true, compilerVersion: packageVersion() });
  const errors = diagnostics.filter((d) => d.severity === "error");
  printDiagnostics(io.stderr, errors, host, io.cwd);
  if (hasErrors(diagnostics)) {
    io.stderr.write(`${summaryLine(diagnostics, 1)}\n`);
    return undefined;
  }
  return { plan: plan!, baseDir: dirname(file), source: file };
}

/**
 * The programs under `files` (as `awr check` groups them: a file imported by another is part of
 * that one's program), compiled to plans. Returns undefined when any has errors (printed).
 */
export async function loadPrograms(files: string[], io: CliIo): Promise<LoadedPlan[] | undefined> {
  const host = new FileHost();
  const { ParseCache, checkFiles, hasErrors } = await import("../compiler/index.js");
  const { printDiagnostics } = await import("./report.js");
  // Each program is checked and lowered once.
  const { results } = checkFiles(files, host, new ParseCache(), { plan: true, compilerVersion: packageVersion() });
  const out: LoadedPlan[] = [];
  let failed = false;
  for (const { program, diagnostics, plan } of results) {
    const entry = program.entries[0]!;
    if (hasErrors(diagnostics)) {
      printDiagnostics(io.stderr, diagnostics.filter((d) => d.severity === "error"), host, io.cwd);
      failed = true;
      continue;
    }
    out.push({ plan: plan!, baseDir: dirname(entry), source: entry });
  }
  return failed ? undefined : out;
}
