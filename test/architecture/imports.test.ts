// Architecture Invariant (ARCHITECTURE.md, DESIGN §7): imports point one way —
//   cli, lsp → host → ops → vm → compiler/plan;   cli, lsp, host → compiler through compiler/index.ts;
//   nothing imports cli/;   compiler/ does no IO (no node:fs, node:net, …) and imports no layer above it.
// Every import of compiler/, vm/, ops/, host/, cli/ and lsp/ (static, `export … from`, dynamic
// `import("…")`, read with TypeScript's own pre-processor, so comments and strings do not count) is
// checked against RULES; a failure names file:line, the import and the rule it breaks.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

interface Rule {
  /** The files it governs: a folder (`vm/`); the longest `from` matching a file is its rule. */
  from: string;
  /** What they may import: folders (`vm/`) or single files (`compiler/index.ts`). Packages are not restricted… */
  mayImport: string[];
  /** …except these Node modules (with or without `node:`). */
  noNodeModules?: string[];
  /** Why, in one line: printed with every violation. */
  why: string;
}

/** Node modules that do IO (files, processes, network, threads, the terminal): the compiler has none. */
const NODE_IO = ["fs", "fs/promises", "child_process", "net", "http", "https", "http2", "dgram", "dns", "dns/promises", "tls", "worker_threads", "cluster", "readline", "os", "process", "inspector", "repl", "module"];

const RULES: Rule[] = [
  {
    from: "compiler/plan/",
    mayImport: ["compiler/plan/"],
    noNodeModules: NODE_IO,
    why: "the plan format stands alone: the VM loads plans without the rest of the compiler",
  },
  {
    from: "compiler/",
    mayImport: ["compiler/"],
    noNodeModules: NODE_IO,
    why: "the compiler is pure (all IO goes through the SourceHost) and knows nothing of the runtime, editors or the command line",
  },
  { from: "vm/", mayImport: ["vm/", "compiler/plan/"], why: "the VM runs plans: it needs compiler/plan/ only, and nothing that consumes it (ops/, host/, cli/, lsp/)" },
  { from: "ops/", mayImport: ["ops/", "vm/", "compiler/plan/"], why: "ops/ reads a runtime's events and stored runs: above vm/, below host/" },
  {
    from: "host/",
    // compiler/plan/ is the layer under vm/; what vm/ and ops/ may import, host/ may too.
    mayImport: ["host/", "ops/", "vm/", "compiler/plan/", "compiler/index.ts"],
    why: "host/ builds runtimes from configuration: it is below cli/ and lsp/ (never their presentation) and reaches the compiler through its API Boundary",
  },
  {
    from: "server/",
    mayImport: ["server/", "host/", "ops/", "vm/", "compiler/plan/", "compiler/index.ts"],
    why: "server/ (awr serve, awr worker) is an outer layer beside cli/ and lsp/: it builds runtimes through host/ and never imports the command line's presentation",
  },
  { from: "lsp/", mayImport: ["lsp/", "host/", "compiler/index.ts"], why: "the language server asks the compiler through its API Boundary (compiler/index.ts) and reads files through host/" },
  {
    from: "cli/",
    // `awr lsp` starts the language server through its package entry (awr/lsp); `awr serve` the
    // HTTP server through server/index.ts.
    mayImport: ["cli/", "host/", "ops/", "vm/", "compiler/plan/", "compiler/index.ts", "lsp/index.ts", "server/index.ts"],
    why: "cli/ is argument parsing and printing: it builds through host/ and reaches the compiler and the language server through their entries",
  },
];

/**
 * Known violations, each removed by work under way. An entry that no longer matches a forbidden
 * import fails the test: delete it when its import goes.
 */
const ALLOWED: { file: string; imports: string[]; until: string }[] = [];

const FOLDERS = ["compiler", "vm", "ops", "host", "cli", "lsp", "server"];

interface Import {
  file: string;
  line: number;
  /** As written. */
  spec: string;
  /** A repository path (`vm/types.ts`) for a relative import; the module name otherwise. */
  target: string;
}

/** Every import of `text` (a file at repo path `file`), with its line. */
function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => {
    const spec = f.fileName;
    const target = spec.startsWith(".") ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).replace(/\\/g, "/").replace(/\.js$/, ".ts") : spec;
    return { file, line: text.slice(0, f.pos).split("\n").length, spec, target };
  });
}

function ruleOf(file: string, rules: readonly Rule[] = RULES): Rule | undefined {
  return rules.filter((r) => file.startsWith(r.from)).sort((a, b) => b.from.length - a.from.length)[0];
}

/** Why `imp` breaks its file's rule, or undefined when it keeps it. */
function violation(imp: Import, rules: readonly Rule[] = RULES): string | undefined {
  const rule = ruleOf(imp.file, rules);
  if (!rule) return undefined;
  const where = `${imp.file}:${imp.line}: imports "${imp.spec}"`;
  const says = `rule "${rule.from}" — ${rule.from} may import ${rule.mayImport.join(", ")} and packages${rule.noNodeModules ? " (no Node IO modules)" : ""}: ${rule.why}`;
  if (!imp.spec.startsWith(".")) {
    const name = imp.spec.replace(/^node:/, "");
    return rule.noNodeModules?.includes(name) ? `${where} (a Node IO module), breaking ${says}` : undefined;
  }
  if (!FOLDERS.some((f) => imp.target.startsWith(`${f}/`))) return undefined; // stdlib, package.json, …
  const ok = rule.mayImport.some((m) => (m.endsWith("/") ? imp.target.startsWith(m) : imp.target === m));
  return ok ? undefined : `${where} (${imp.target}), breaking ${says}`;
}

function sources(): string[] {
  return FOLDERS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => `${dir}/${f.replace(/\\/g, "/")}`),
  );
}

const allowed = (imp: Import) => ALLOWED.some((a) => a.file === imp.file && a.imports.includes(imp.target));

describe("import directions", () => {
  const all = sources().flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), "utf8")));

  it("reads every folder's imports", () => {
    for (const dir of FOLDERS) expect(all.some((i) => i.file.startsWith(`${dir}/`)), dir).toBe(true);
    // Static, `export … from` and dynamic imports are all seen.
    expect(all).toContainEqual(expect.objectContaining({ file: "cli/commands/test.ts", target: "host/runtime.ts" }));
    expect(all).toContainEqual(expect.objectContaining({ file: "compiler/index.ts", target: "compiler/compile.ts" }));
  });

  it("every file is governed by a rule", () => {
    expect(sources().filter((f) => !ruleOf(f))).toEqual([]);
  });

  it("no import breaks a rule (except the allow-list)", () => {
    const bad = all.filter((i) => !allowed(i)).flatMap((i) => violation(i) ?? []);
    expect(bad, `forbidden imports:\n${bad.join("\n")}\n`).toEqual([]);
  });

  it("the allow-list is not stale: each entry is still a forbidden import of its file", () => {
    const stale = ALLOWED.flatMap((a) =>
      a.imports.filter((t) => !all.some((i) => i.file === a.file && i.target === t && violation(i))).map((t) => `${a.file} → ${t} (allowed until ${a.until}): no longer imported or no longer forbidden; delete it from ALLOWED`),
    );
    expect(stale, stale.join("\n")).toEqual([]);
  });
});

describe("the rules catch each forbidden direction", () => {
  const check = (file: string, text: string) => importsOf(file, text).flatMap((i) => violation(i) ?? []);

  it.each([
    ["vm/runtime.ts", `import { observe } from "../ops/observability/observe.js";`, 'vm/runtime.ts:1: imports "../ops/observability/observe.js" (ops/observability/observe.ts), breaking rule "vm/"'],
    ["vm/tools/js.ts", `const m = await import("../../host/runtime.js");`, 'vm/tools/js.ts:1: imports "../../host/runtime.js" (host/runtime.ts), breaking rule "vm/"'],
    ["vm/exec/agent.ts", `import type { Program } from "../../compiler/semantic/program.js";`, 'rule "vm/"'],
    ["ops/report/trace.ts", `import { FileHost } from "../../host/source-host.js";`, 'rule "ops/"'],
    ["host/runtime.ts", `import { report } from "../cli/runs.js";`, 'rule "host/"'],
    ["host/runtime.ts", `import { check } from "../compiler/semantic/check.js";`, 'rule "host/"'],
    ["lsp/server.ts", `\n\nimport { FileHost } from "../cli/host.js";`, 'lsp/server.ts:3: imports "../cli/host.js"'],
    ["lsp/workspace.ts", `export { Session } from "../compiler/session.js";`, 'rule "lsp/"'],
    ["lsp/workspace.ts", `import { createRuntime } from "../vm/runtime.js";`, 'rule "lsp/"'],
    ["cli/commands/run.ts", `import { checkProgram } from "../../compiler/semantic/check.js";`, 'rule "cli/"'],
    ["compiler/semantic/load.ts", `import { readFileSync } from "node:fs";`, "(a Node IO module), breaking rule \"compiler/\""],
    ["compiler/plan/codec.ts", `import { spawn } from "child_process";`, 'rule "compiler/plan/"'],
    ["compiler/plan/codec.ts", `import { compile } from "../compile.js";`, 'rule "compiler/plan/"'],
    ["compiler/compile.ts", `import type { RunStore } from "../vm/types.js";`, 'rule "compiler/"'],
  ])("%s: %s", (file, text, expected) => {
    const found = check(file, text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it.each([
    ["cli/commands/run.ts", `import { openRuntime } from "../../host/runtime.js";\nimport { compile } from "../../compiler/index.js";\nimport { decodePlan } from "../../compiler/plan/codec.js";`],
    ["lsp/server.ts", `import { FileHost } from "../host/source-host.js";\nimport { VERSION } from "../compiler/index.js";`],
    ["host/runtime.ts", `const { observe } = await import("../ops/observability/observe.js");\nimport type { Plan } from "../compiler/plan/index.js";`],
    ["compiler/plan/codec.ts", `import { createHash } from "node:crypto";\nimport { pack } from "msgpackr";`],
    ["vm/runtime.ts", `import { decodePlan } from "../compiler/plan/index.js";\n// import { observe } from "../ops/observability/observe.js";`],
  ])("%s: allowed imports pass", (file, text) => {
    expect(check(file, text)).toEqual([]);
  });
});
