// Robustness fuzzing of the front end: whatever the text, `parse` and `compile` never throw, never
// hang, and only report well-formed diagnostics (a registered code, a severity, a span inside the
// file). Inputs are random edits of the valid example programs (so most of the file still parses
// and the checker, the graph analysis and the lowering see "almost valid" code), random token
// soup over the language's vocabulary, and random bytes.
//
// Every property runs with a fixed seed: a failure prints the seed and the counterexample path,
// and re-running the suite reproduces it. To explore new inputs locally:
//   AWR_FUZZ_SEED=123 AWR_FUZZ_RUNS=3 npx vitest run test/fuzz     (another seed, 3x the cases)
//   AWR_FUZZ_LOG_SLOW=50 npx vitest run test/fuzz                  (print every case over 50 ms)
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../../compiler/compile.js";
import { parse } from "../../compiler/syntax/parser.js";
import { CODES } from "../../compiler/diagnostics/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import type { SourceHost } from "../../compiler/semantic/program.js";
import { ParseCache } from "../../compiler/semantic/load.js";
import { memoryHost } from "../helpers/memory-host.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SEED = process.env["AWR_FUZZ_SEED"] ? Number(process.env["AWR_FUZZ_SEED"]) : 0x5eed_a3c1;
const SCALE = process.env["AWR_FUZZ_RUNS"] ? Number(process.env["AWR_FUZZ_RUNS"]) : 1;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** No single case may take longer than this (a hang guard; typical cases take ~1 ms). */
const SLOW_CASE_MS = 2000;

// ---------------------------------------------------------------------------------------------
// The corpus: every .awr program under examples/ and test/fixtures/design/.

interface Project {
  dir: string;
  /** File id (relative to the project directory, `/`-separated) → text. */
  files: Record<string, string>;
}
interface CorpusFile {
  project: Project;
  file: string;
  text: string;
}

function awrFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return awrFiles(p);
      return name.endsWith(".awr") ? [p] : [];
    });
}

function loadCorpus(): CorpusFile[] {
  const dirs = [
    ...readdirSync(join(ROOT, "examples"))
      .sort()
      .map((d) => join(ROOT, "examples", d))
      .filter((d) => statSync(d).isDirectory()),
    join(ROOT, "test", "fixtures", "design"),
  ];
  const out: CorpusFile[] = [];
  for (const dir of dirs) {
    const files: Record<string, string> = {};
    for (const p of awrFiles(dir)) files[relative(dir, p).replace(/\\/g, "/")] = readFileSync(p, "utf8");
    const project: Project = { dir: relative(ROOT, dir), files };
    for (const [file, text] of Object.entries(files)) out.push({ project, file, text });
  }
  return out;
}

const CORPUS = loadCorpus();

// The stdlib is read from disk by memoryHost on every import; read each module once.
const stdCache = new Map<string, string | undefined>();
function hostFor(files: Record<string, string>): SourceHost {
  const inner = memoryHost(files);
  return {
    ...inner,
    read(file) {
      if (!file.startsWith("std/")) return inner.read(file);
      if (!stdCache.has(file)) stdCache.set(file, inner.read(file));
      return stdCache.get(file);
    },
  };
}

// One parse cache per project: the unchanged sibling files are parsed once, only the mutated file
// is parsed again (the cache is keyed by file and text, so it never serves stale results).
const caches = new Map<Project, ParseCache>();
const cacheFor = (p: Project) => caches.get(p) ?? caches.set(p, new ParseCache()).get(p)!;

// ---------------------------------------------------------------------------------------------
// The vocabulary: what random token soup and token insertions are made of.

const KEYWORDS = [
  "import", "type", "enum", "model", "tool", "prompt", "agent", "context", "policy", "graph", "test",
  "state", "node", "edge", "return", "run", "map", "in", "concurrency", "await", "set", "retry",
  "timeout", "on", "error", "compensate", "when", "otherwise", "max", "mock", "then", "expect",
  "before", "after", "tagged", "deny", "allow", "approve", "redact", "because", "source",
  "true", "false", "null", "start", "end", "human", "fail", "js", "http", "mcp", "builtin",
  "vector", "keyword", "exponential", "list", "map", "string", "int", "float", "bool", "limits",
  "price", "output_format", "result", "input", "principal", "status", "output", "calls", "audit",
];
const PUNCT = [
  "{", "}", "(", ")", "[", "]", "->", "=>", ":", ",", ".", "!", "?", "?.", "??", "==", "!=", "<", ">",
  "<=", ">=", "&&", "||", "|", "+", "-", "*", "/", "%", "=", "@", "#\"", "\"#", "{{", "}}", "//", "///",
  "/*", "*/", "\n", "\n\n", "\r\n", "\t",
];
const LITERALS = [
  "0", "1", "3", "0.6", "1.5", "1e9", "2E-3", "99999999999999999999999", "1.", ".5", "0x1f", "-1",
  "250ms", "5s", "10m", "1h", "1.5s", "5x", "3d", "20/s",
  "\"\"", "\"a\"", "\"std/pii\"", "\"./types.awr\"", "\"./missing.awr\"", "\"esc \\\" \\n\"", "\"open",
  "#\"hi\"#", "#\"{{ x }}\"#", "#\"{{ }}\"#", "#\"{{ a.b ?? \"c\" }} {{\"#", "#\"open", "\"#",
  "@reduce(append)", "@reduce(nope)", "@format(email)", "@min(0)", "@max(1)", "@maxLength(280)",
];
// Names: a few invented ones plus every identifier the corpus uses (so insertions hit real
// declarations, fields and members and reach the checker's name resolution).
const CORPUS_NAMES = [...new Set(CORPUS.flatMap((f) => f.text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []))].sort();
const NAMES = ["x", "_", "a1", "Foo", "unknown_thing", "é", "ident_" + "x".repeat(300), ...CORPUS_NAMES];
const VOCAB = [...KEYWORDS, ...PUNCT, ...LITERALS];

const GARBAGE = [
  "\0", "\0\0\0", "\uD800", "\uDC00", "\uDBFF\uDFFF", "\uFFFD", "\uFEFF", "\u00a0", "\u2028", "\u200b",
  "\r", "\r\r\n", "\v\f", "\x1b[31m", "\\", "`", "$", "~", "^", "'", "#", "##", "é", "日本語", "🙂", "\u0301",
  "a".repeat(20_000),
  "\"" + "s".repeat(20_000),
  "// " + "c".repeat(20_000),
  "#\"" + "t".repeat(5_000) + "{{".repeat(20),
  // Nesting stays shallow here (real code nests a few levels); deep nesting has its own tests
  // below ("pathological inputs").
  "{".repeat(20),
  "}".repeat(300),
  "(".repeat(20),
  ")".repeat(300),
  "[".repeat(20),
  "]".repeat(300),
  "!".repeat(40),
  "-".repeat(40) + "1",
  "[".repeat(20) + "]".repeat(20),
  "{ a: ".repeat(20) + "1" + " }".repeat(20),
  "a.".repeat(200) + "b",
  "x?.".repeat(200) + "y",
  "1 + ".repeat(200) + "1",
  "a || ".repeat(200) + "b",
  "list<".repeat(20) + "int" + ">".repeat(20),
  "/*",
  "*/",
  "/* x */",
];

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VOCAB) },
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...GARBAGE.filter((g) => g.length < 50)) },
);
const separator = fc.constantFrom(" ", " ", " ", "", "\n", "\t", "\r\n");
const tokenRun = fc
  .array(fc.tuple(token, separator), { minLength: 1, maxLength: 12 })
  .map((ts) => ts.map(([t, s]) => t + s).join(""));

// ---------------------------------------------------------------------------------------------
// Mutations. Positions are naturals reduced modulo the current length, so every mutation applies
// to every text, and shrinking moves towards the start of the file and towards short spans.

type Mutation =
  | { kind: "delete"; at: number; len: number }
  | { kind: "duplicate"; at: number; len: number; to: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "replace"; at: number; len: number; text: string }
  | { kind: "truncate"; at: number }
  | { kind: "swapLines"; a: number; b: number }
  | { kind: "deleteLine"; a: number }
  /** Replaces the word (name, keyword, number or duration) at or after `at`: mostly keeps the syntax, so it exercises the checker and the lowering. */
  | { kind: "replaceWord"; at: number; word: string };

const pos = fc.nat();
const spanLen = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }) });
const insertion = fc.oneof(
  { weight: 5, arbitrary: tokenRun },
  { weight: 2, arbitrary: fc.constantFrom(...GARBAGE) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: pos, len: spanLen }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), at: pos, len: spanLen, to: pos }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: pos, text: insertion }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: pos, len: spanLen, text: insertion }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("swapLines" as const), a: pos, b: pos }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteLine" as const), a: pos }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("replaceWord" as const), at: pos, word: fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom(...KEYWORDS), fc.constantFrom(...LITERALS)) }) },
);

const WORD = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:ms|s|m|h)?/g;

function applyMutation(text: string, m: Mutation): string {
  const n = text.length;
  const at = (p: number) => (n === 0 ? 0 : p % (n + 1));
  switch (m.kind) {
    case "delete": {
      const a = at(m.at);
      return text.slice(0, a) + text.slice(a + m.len);
    }
    case "duplicate": {
      const a = at(m.at);
      const piece = text.slice(a, a + m.len);
      const to = at(m.to);
      return text.slice(0, to) + piece + text.slice(to);
    }
    case "insert": {
      const a = at(m.at);
      return text.slice(0, a) + m.text + text.slice(a);
    }
    case "replace": {
      const a = at(m.at);
      return text.slice(0, a) + m.text + text.slice(a + m.len);
    }
    case "truncate":
      return text.slice(0, at(m.at));
    case "swapLines": {
      const lines = text.split("\n");
      const i = m.a % lines.length;
      const j = m.b % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    }
    case "deleteLine": {
      const lines = text.split("\n");
      lines.splice(m.a % lines.length, 1);
      return lines.join("\n");
    }
    case "replaceWord": {
      WORD.lastIndex = at(m.at);
      const w = WORD.exec(text) ?? ((WORD.lastIndex = 0), WORD.exec(text));
      return w ? text.slice(0, w.index) + m.word + text.slice(w.index + w[0].length) : text + m.word;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks.

const SEVERITIES = new Set(["error", "warning", "info"]);
const timing = { cases: 0, totalMs: 0, slowestMs: 0, slowest: "", syntaxClean: 0, planned: 0 };

/** Throws (failing the property) when a diagnostic is malformed. */
function checkDiagnostic(d: Diagnostic, textOf: (file: string) => string | undefined, where: string) {
  const fail = (why: string): never => {
    throw new Error(`${where}: malformed diagnostic (${why}): ${JSON.stringify(d).slice(0, 500)}`);
  };
  if (!d || typeof d !== "object") fail("not an object");
  if (typeof d.code !== "string" || !Object.hasOwn(CODES, d.code)) fail("unregistered code");
  if (!SEVERITIES.has(d.severity)) fail("bad severity");
  if (typeof d.message !== "string" || d.message.length === 0) fail("empty message");
  if (typeof d.file !== "string") fail("no file");
  checkSpan(d.span, textOf(d.file), fail);
  for (const r of d.related ?? []) checkSpan(r.span, textOf(r.file), (why) => fail(`related: ${why}`));
  for (const f of d.fixes ?? []) {
    if (f.kind === "replace") checkSpan(f.span, textOf(d.file), (why) => fail(`fix: ${why}`));
    else {
      const len = textOf(d.file)?.length ?? 0;
      if (!(Number.isInteger(f.offset) && f.offset >= 0 && f.offset <= len)) fail("fix: insert offset outside the file");
    }
  }
}

function checkSpan(span: { start: number; end: number } | undefined, text: string | undefined, fail: (why: string) => never) {
  if (!span || !Number.isInteger(span.start) || !Number.isInteger(span.end)) fail("span is not a pair of integers");
  const len = text?.length ?? 0; // an unreadable file: only the empty span at 0 is valid
  if (!(0 <= span!.start && span!.start <= span!.end && span!.end <= len)) fail(`span ${span!.start}..${span!.end} outside 0..${len}`);
}

/**
 * The whole property for one text: parse it, then compile it as the entry of its project
 * (siblings unchanged, so its imports resolve), lowering to a plan when it checks. Throws (so
 * fast-check shrinks and reports the case) on any exception, malformed diagnostic or slow case.
 */
function checkText(file: string, text: string, project: Project | undefined, label: string) {
  const t0 = performance.now();
  const where = `${label} (${text.length} chars)`;

  // ParseCache.get is `parse(file, text)` remembered by file: compile below reuses the result
  // instead of parsing the mutated text a second time (parsing is most of the cost of a case).
  const cache = project ? cacheFor(project) : new ParseCache();
  const parsed = cache.get(file, text);
  if (parsed.module?.kind !== "Module") throw new Error(`${where}: parse returned no module`);
  for (const d of parsed.diagnostics) checkDiagnostic(d, (f) => (f === file ? text : undefined), `${where} parse`);

  const files = { ...(project?.files ?? {}), [file]: text };
  const host = hostFor(files);
  const res = compile([file], host, { plan: true, cache });
  if (res.program.modules.get(file)?.ast !== parsed.module) throw new Error(`${where}: the entry is not the parsed module`);
  for (const d of res.diagnostics) checkDiagnostic(d, (f) => host.read(f), `${where} compile`);
  // Parsing is deterministic and compile reports everything the parser found.
  const key = (d: Diagnostic) => `${d.file}\0${d.span.start}\0${d.span.end}\0${d.code}\0${d.message}`;
  const compiled = new Set(res.diagnostics.map(key));
  const lost = parsed.diagnostics.filter((d) => !compiled.has(key(d)));
  if (lost.length) throw new Error(`${where}: compile lost parse diagnostics: ${JSON.stringify(lost).slice(0, 500)}`);
  if (res.plan && res.diagnostics.some((d) => d.severity === "error")) throw new Error(`${where}: a plan despite errors`);

  const ms = performance.now() - t0;
  if (ms > SLOW_CASE_MS) throw new Error(`${where}: took ${ms.toFixed(0)} ms (limit ${SLOW_CASE_MS} ms)`);
  timing.cases++;
  if (!parsed.diagnostics.some((d) => d.severity === "error")) timing.syntaxClean++;
  if (res.plan) timing.planned++;
  timing.totalMs += ms;
  if (process.env["AWR_FUZZ_LOG_SLOW"] && ms > Number(process.env["AWR_FUZZ_LOG_SLOW"])) console.log(`slow case ${ms.toFixed(0)} ms: ${where}: ${JSON.stringify(text.slice(0, 300))}`);
  if (ms > timing.slowestMs) {
    timing.slowestMs = ms;
    timing.slowest = where;
  }
  return { parsed, res };
}

const PARAMS = { seed: SEED, verbose: 1 } as const;

describe("front-end robustness (fuzz)", () => {
  it("finds a corpus", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(10);
    expect(new Set(CORPUS.map((f) => f.project.dir)).size).toBeGreaterThanOrEqual(4);
  });

  it("the unmutated corpus parses without syntax errors", () => {
    for (const f of CORPUS) {
      const { parsed } = checkText(f.file, f.text, f.project, `${f.project.dir}/${f.file}`);
      expect(parsed.diagnostics.map((d) => `${f.project.dir}/${f.file}: ${d.code} ${d.message}`)).toEqual([]);
    }
  });

  const corpusFile = fc.nat({ max: CORPUS.length - 1 });
  const describeCase = (i: number) => `${CORPUS[i]!.project.dir}/${CORPUS[i]!.file}`;

  // Split in several `it`s so progress is visible and each stays far below the test timeout.
  for (const [part, n] of [[1, 2200], [2, 2200], [3, 2200]] as const) {
    it(`survives random edits of the corpus (part ${part}, ${n} cases)`, () => {
      fc.assert(
        fc.property(corpusFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
          const f = CORPUS[i]!;
          const text = ms.reduce(applyMutation, f.text);
          checkText(f.file, text, f.project, describeCase(i));
        }),
        { ...PARAMS, seed: SEED + part, numRuns: runs(n) },
      );
    });
  }

  // Names the checker looks up in its tables (properties, options, source kinds, units, builtins)
  // come from the text: a table read with `table[name]` finds Object.prototype's members. Every word
  // of the corpus in turn replaced by one of them must be a diagnostic, never a crash.
  const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"];
  it("survives Object.prototype's member names in any word's place", () => {
    fc.assert(
      fc.property(corpusFile, fc.nat(), fc.constantFrom(...PROTOTYPE_NAMES), (i, at, word) => {
        const f = CORPUS[i]!;
        checkText(f.file, applyMutation(f.text, { kind: "replaceWord", at, word }), f.project, describeCase(i));
      }),
      { ...PARAMS, seed: SEED + 7, numRuns: runs(800) },
    );
  });

  it("reports an error for edits that certainly break the syntax", () => {
    // Appended at the end of a file after a newline (so never inside a line comment). An opener
    // can never be closed again at the end of the file, and an unlexable character there is an
    // error unless an earlier edit left the end inside a string, template or block comment, which
    // is an error of its own. Closers are only appended to unedited (valid) files: after random
    // edits a closer may well close what an edit opened.
    const OPENERS = ["$", "\0", "`", "(", "[", "{", "model {", "type T {", "graph g { node", "#\"open {{", "\"open", "/* open", "-> ->", "edge a ->"];
    const CLOSERS = ["}", ")", "]", "}}", "\"#", "*/"];
    const breakCase = fc.oneof(
      fc.record({ i: corpusFile, ms: fc.constant([] as Mutation[]), breaker: fc.constantFrom(...CLOSERS, ...OPENERS) }),
      fc.record({ i: corpusFile, ms: fc.array(mutation, { minLength: 1, maxLength: 3 }), breaker: fc.constantFrom(...OPENERS) }),
    );
    fc.assert(
      fc.property(breakCase, ({ i, ms, breaker }) => {
        const f = CORPUS[i]!;
        const text = ms.reduce(applyMutation, f.text) + "\n" + breaker;
        const { parsed, res } = checkText(f.file, text, f.project, describeCase(i));
        expect(parsed.diagnostics.some((d) => d.severity === "error")).toBe(true);
        expect(res.diagnostics.some((d) => d.severity === "error" && d.file === f.file)).toBe(true);
        expect(res.plan).toBeUndefined();
      }),
      { ...PARAMS, numRuns: runs(500) },
    );
  });

  it("survives token soup over the language's vocabulary", () => {
    const soup = fc.array(fc.tuple(token, separator), { maxLength: 200 }).map((ts) => ts.map(([t, s]) => t + s).join(""));
    const withHeader = fc.tuple(fc.constantFrom("", "graph g(x: int) -> int {\n", "type T {\n", "test t {\n", "policy p {\n", "prompt p(a: string) -> string {\n"), soup);
    fc.assert(
      fc.property(withHeader, ([head, body]) => {
        checkText("main.awr", head + body, undefined, "token soup");
      }),
      { ...PARAMS, numRuns: runs(2400) },
    );
  });

  it("survives random binary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
        checkText("main.awr", text, undefined, "binary");
      }),
      { ...PARAMS, numRuns: runs(1000) },
    );
  });

  it("never takes long on a single input", () => {
    const rate = timing.totalMs > 0 ? (timing.cases / timing.totalMs) * 1000 : 0;
    console.log(
      `fuzz: ${timing.cases} cases in ${(timing.totalMs / 1000).toFixed(1)} s (${rate.toFixed(0)} cases/s); ` +
        `slowest ${timing.slowestMs.toFixed(1)} ms: ${timing.slowest}; ` +
        `${timing.syntaxClean} parsed without errors, ${timing.planned} lowered to a plan`,
    );
    if (timing.cases === 0) return; // run with a filter (-t): no case ran in this process
    expect(timing.cases).toBeGreaterThanOrEqual(runs(10_000));
    expect(timing.slowestMs).toBeLessThan(SLOW_CASE_MS);
  });
});

// Pathological inputs the fuzzer (and probes around it) once crashed the compiler with. Nesting
// past MAX_NESTING brackets or MAX_DEPTH expression levels is now a coded syntax error, so no later
// pass can exhaust the stack; the inputs here are well past the depths that used to overflow.
describe("pathological inputs yield diagnostics, not crashes", () => {
  const graph = (ret: string, expr: string) => `graph g() -> ${ret} {\n  return ${expr}\n}\n`;
  const noThrow = (text: string) => {
    expect(() => parse("main.awr", text)).not.toThrow();
    let result: ReturnType<typeof compile> | undefined;
    expect(() => (result = compile(["main.awr"], hostFor({ "main.awr": text }), { plan: true }))).not.toThrow();
    return result!;
  };
  const nestingError = (text: string) => {
    const r = noThrow(text);
    expect(r.diagnostics.some((d) => d.code === "AWR1002" && /nest/.test(d.message))).toBe(true);
  };
  it("200 unclosed `[`", () => nestingError(graph("int", "[".repeat(200))));
  it("400 unclosed `(`", () => nestingError(graph("int", "(".repeat(400))));
  it("400 balanced parentheses", () => nestingError(graph("int", "(".repeat(400) + "1" + ")".repeat(400))));
  it("600 nested records", () => nestingError(graph("int", "{ a: ".repeat(600) + "1" + " }".repeat(600))));
  it("1,500 nested list<…>", () => nestingError(`type T { a: ${"list<".repeat(1500)}int${">".repeat(1500)} }\n`));
  it("a chain of 10,000 `.`", () => nestingError(graph("int", "a.".repeat(10_000) + "b")));
  it("chains of 1,200–10,000 `+`", () => {
    for (const n of [1200, 1600, 2400, 3200, 10_000]) nestingError(graph("int", "1 + ".repeat(n) + "1"));
  });
  it("a chain of 200 `+` still checks and lowers", () => {
    const r = noThrow(graph("int", "1 + ".repeat(200) + "1"));
    expect(r.diagnostics).toEqual([]);
    expect(r.plan).toBeDefined();
  });
  // A huge but finite price once made the cost Infinity, which the plan schema rejects.
  it("a huge price makes the cost unbounded, with the reason", () => {
    const r = noThrow(`model m {
  provider: "openai"
  name: "x"
  max_tokens: 1000
  timeout: 5s
  price { input: 1, output: 1e308 }
}
prompt p(a: string) -> string {
  model: m
  user #"{{ a }}"#
}
graph g(a: string) -> string {
  state { r: string? }
  node n { run p(a) -> r }
  edge start -> n
  edge n -> end
  return r!
}
`);
    expect(r.plan?.graphs["g"]?.cost).toMatchObject({ usd: null, tokens: 1000 });
    expect(r.plan?.graphs["g"]?.cost?.unbounded_reason).toMatch(/exceeds 2\^53/);
  });
});
