#!/usr/bin/env node
// Latency of the language server as an editor sees it, in two workspaces (issue 15 item 4).
//
//   npm run build && node bench/lsp.mjs [--samples N] [--warmup N] [--only workspace|large]
//                                       [--server DIR] [--dir DIR] [--cpu-prof DIR] [--json]
//
// Each workspace is generated on disk in a temp directory: domain modules of types, a model, a
// tool, prompts and a graph, and one `main.awr` that imports every module (so its program is the
// whole workspace); only `main.awr` is open. The bench spawns the built `node bin/awr.mjs lsp
// --stdio` (of this checkout, or of `--server DIR`: another checkout's server under the same bench)
// and speaks JSON-RPC to it (vscode-languageserver-protocol/node), with
// `initializationOptions.diagnosticsDelay = 0` (no debounce). After warm-up:
//
// workspace — 10,000 lines in 45 files, main.awr 2,000 lines; the edit is one character of a
//   template string in the last graph, toggled (the text stays valid, nothing moves):
//   diagnostics  didChange → the publishDiagnostics that follows
//   completion   at 3 positions (member after `.` in a hole, a model after `model:`, a field after `!.`)
//   hover        at 4 positions (a type, a prompt in `run`, a record field, a state field)
//   Completion and hover are measured "steady" (no edit since the last request) and "after edit" (a
//   didChange immediately before the request, as when typing: the request pays for what the edit
//   invalidated and, with delay 0, often for that edit's diagnostics).
//   Targets: after-edit p50 ≤ 7 ms (issue 15); p95 ≤ 50 ms for completion and hover, ≤ 100 ms for
//   diagnostics.
//
// large — one 5,000-line main.awr (10,000 lines in all), every edit in the middle of it, so the
//   2,500 lines after it move:
//   valid edit       a character typed into a template string and deleted again, alternately
//   error made       the `}` closing a node deleted (a syntax error)
//   error mended     the `}` typed again
//   for each: the diagnostics that follow the edit, and a completion request right after it.
//   Targets: p95 ≤ 30 ms for diagnostics and completion after every edit kind (issue 15).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { mkdirSync } from "node:fs";

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
/** The checkout whose server is measured (`--server DIR`, default this one). */
const ROOT = opt("server") ?? join(HERE, "..");
const BIN = join(ROOT, "bin", "awr.mjs");
const SAMPLES = Number(opt("samples", 60));
const WARMUP = Number(opt("warmup", 10));
const ONLY = opt("only");
const JSON_OUT = args.includes("--json");
/** `--dir DIR`: generate the workspaces there (DIR/workspace, DIR/large) and keep them (to profile them). */
const KEEP_DIR = opt("dir");
/** `--cpu-prof DIR`: the servers write CPU profiles there (node --cpu-prof) when they exit. */
const PROF_DIR = opt("cpu-prof");

if (!existsSync(join(ROOT, "dist", "cli", "main.js")) || !existsSync(join(ROOT, "dist", "lsp", "server.js"))) {
  console.error(`bench/lsp.mjs: the built server is missing (${join(ROOT, "dist")}).\nRun \`npm run build\` first, then \`node bench/lsp.mjs\`.`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The workspace: domain modules (~60 lines per block, 3 blocks per module) and main.awr.

function domainBlock(p, T) {
  return `/// A request of the ${p} desk.
type ${T}Ticket {
  id: string
  email: string @format(email)
  subject: string @maxLength(200)
  body: string
  tags: list<string> @maxItems(8) = []
}

/// How urgent a ${p} request is.
enum ${T}Priority { low, normal, high, urgent }

/// The triage of a ${p} request.
type ${T}Triage {
  priority: ${T}Priority
  summary: string @maxLength(280)
  /// How sure the model is, 0..1.
  confidence: float @min(0) @max(1)
}

type ${T}Reply { text: string }

/// The cheap model of the ${p} desk.
model ${p}_fast {
  provider: "openai"
  name: "gpt-4o-mini"
  timeout: 30s
  max_tokens: 512
  price { input: 0.15, output: 0.6 }
}

/// Classifies a ${p} request.
prompt ${p}_classify(ticket: ${T}Ticket) -> ${T}Triage {
  model: ${p}_fast
  system #"You triage ${p} requests.
{{ output_format }}"#
  user #"Subject: {{ ticket.subject }}

{{ ticket.body }}"#
}

/// Drafts the reply to a ${p} request.
prompt ${p}_draft(ticket: ${T}Ticket, triage: ${T}Triage) -> ${T}Reply {
  model: ${p}_fast
  user #"Reply to {{ ticket.email }} about {{ triage.summary }} ({{ triage.priority }})"#
}

graph ${p}_case(ticket: ${T}Ticket) -> ${T}Reply {
  state {
    triage: ${T}Triage?
    reply: ${T}Reply?
  }
  node classify { run ${p}_classify(ticket) -> triage }
  node answer { run ${p}_draft(ticket, triage!) -> reply }
  edge start -> classify
  edge classify -> answer when triage!.confidence > 0.5
  edge classify -> end otherwise
  edge answer -> end
  return reply ?? { text: "none" }
}
`;
}

function mainBlock(j, p, T) {
  return `/// Main flow ${j}.
graph main_${j}(ticket: ${T}Ticket) -> ${T}Reply {
  state {
    triage: ${T}Triage?
    reply: ${T}Reply?
    count: int @reduce(sum) = 0
  }
  node classify { run ${p}_classify(ticket) -> triage }
  node answer {
    run ${p}_draft(ticket, triage!) -> reply
    retry 2
    timeout 20s
  }
  node tally { set count = 1 }
  edge start -> classify
  edge classify -> answer when triage!.confidence > 0.5
  edge classify -> tally otherwise
  edge answer -> end
  edge tally -> end
  return reply ?? { text: "none" }
}

prompt main_${j}_summary(ticket: ${T}Ticket, triage: ${T}Triage) -> string {
  model: ${p}_fast
  user #"Summarise {{ ticket.subject }} ({{ triage.priority }}) for {{ ticket.email }}"#
}

`;
}

function generate(TOTAL_LINES, MAIN_LINES) {
  const files = {};
  const blocks = []; // [prefix, TypePrefix] of every domain block, for main.awr to use
  let lines = 0;
  const domainLines = TOTAL_LINES - MAIN_LINES;
  for (let m = 0; lines < domainLines; m++) {
    let text = `// Desk module ${m}.\n\n`;
    for (let b = 0; b < 3; b++) {
      const p = `d${m}_${b}`;
      const T = `D${m}x${b}`;
      text += `${domainBlock(p, T)}\n`;
      blocks.push([p, T]);
    }
    files[`desks/desk${m}.awr`] = text;
    lines += text.split("\n").length - 1;
  }
  let main = `// The entry: every desk, and the flows built on them.\n\n${Object.keys(files).map((f) => `import "./${f}"`).join("\n")}\n\n`;
  for (let j = 0; main.split("\n").length - 1 < MAIN_LINES; j++) {
    const [p, T] = blocks[j % blocks.length];
    main += mainBlock(j, p, T);
  }
  main = main.split("\n").slice(0, MAIN_LINES).join("\n");
  // Cut at a declaration boundary so the file stays valid.
  main = main.slice(0, main.lastIndexOf("\n}\n") + 3);
  files["main.awr"] = main;
  lines += main.split("\n").length - 1;
  return { files, lines };
}


const now = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};

/**
 * A server over a generated workspace with `main.awr` open: edits of main.awr and requests, timed.
 * `stop()` ends the server and removes the workspace.
 */
async function openWorkspace(name, totalLines, mainLines) {
  const { files, lines } = generate(totalLines, mainLines);
  const dir = KEEP_DIR ? join(KEEP_DIR, name) : mkdtempSync(join(tmpdir(), "awr-bench-lsp-"));
  for (const [f, t] of Object.entries(files)) {
    const path = join(dir, f);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, t);
  }
  const MAIN_URI = pathToFileURL(join(dir, "main.awr")).href;
  let text = files["main.awr"];

  const prof = PROF_DIR ? ["--cpu-prof", "--cpu-prof-dir", PROF_DIR, "--cpu-prof-interval", "250"] : [];
  const child = spawn(process.execPath, [...prof, BIN, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (t) => (stderr += t));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let onPublish;
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri === MAIN_URI) onPublish?.(p);
  });
  conn.listen();
  const init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: {},
    initializationOptions: { diagnosticsDelay: 0 },
  });
  await conn.sendNotification(InitializedNotification.type, {});
  const nextPublish = () => new Promise((resolve) => (onPublish = resolve));

  async function stop() {
    try {
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
    } catch {
      child.kill("SIGKILL");
    }
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    conn.dispose();
    if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });
    if (stderr.trim()) console.error(stderr.trim());
  }

  let version = 1;
  {
    const first = nextPublish();
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: MAIN_URI, languageId: "awr", version, text } });
    const errors = (await first).diagnostics.filter((d) => d.severity === 1);
    if (errors.length) {
      console.error(`bench/lsp.mjs: the generated workspace does not check (${errors.length} errors), e.g. ${errors[0].code} ${errors[0].message} at ${errors[0].range.start.line + 1}`);
      await stop();
      process.exit(1);
    }
  }

  const offsetOf = (needle, nth = 0, delta = needle.length) => {
    let at = -1;
    for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`bench/lsp.mjs: "${needle}" not found in main.awr`);
    return at + delta;
  };
  const positionAt = (o) => {
    const before = text.slice(0, o).split("\n");
    return { line: before.length - 1, character: before[before.length - 1].length };
  };
  /** Replaces text[start, end) with `insert`, as a didChange. */
  async function change(start, end, insert) {
    version++;
    const range = { start: positionAt(start), end: positionAt(end) };
    text = text.slice(0, start) + insert + text.slice(end);
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: MAIN_URI, version }, contentChanges: [{ range, text: insert }] });
  }
  /** Milliseconds from an edit to the diagnostics that follow it. */
  async function diagnosticsAfter(edit) {
    const p = nextPublish();
    const t0 = now();
    await edit();
    await p;
    return now() - t0;
  }
  /** Milliseconds of a request (an empty answer is an error: the position is wrong). */
  async function request(type, position) {
    const t0 = now();
    const r = await conn.sendRequest(type, { textDocument: { uri: MAIN_URI }, position });
    const ms = now() - t0;
    if (r === null || (Array.isArray(r) && r.length === 0) || (r.items && r.items.length === 0)) throw new Error(`bench/lsp.mjs: empty answer to ${type.method} at ${JSON.stringify(position)}`);
    return ms;
  }
  /** A request right after an edit, before that edit's diagnostics ran (what typing looks like). */
  async function requestAfter(edit, type, position) {
    const p = nextPublish();
    await edit();
    const ms = await request(type, position);
    await p; // let the diagnostics of this edit finish before the next sample
    return ms;
  }
  const graphCount = (text.match(/^graph /gm) ?? []).length;
  return {
    info: { name, lines, files: Object.keys(files).length, mainLines: text.split("\n").length - 1, server: `${init.serverInfo?.name} ${init.serverInfo?.version}` },
    text: () => text,
    graphCount,
    offsetOf,
    positionAt,
    change,
    diagnosticsAfter,
    request,
    requestAfter,
    stop,
    pid: child.pid,
  };
}

/**
 * The CPU time (user + system) the server process has used, in ms, from /proc (Linux; undefined
 * elsewhere). Wall times on a busy machine measure the queue for a core; the server's CPU time per
 * operation does not.
 */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}
const CLK_TCK = 100; // USER_HZ on Linux

async function sample(w, label, fn) {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times = [];
  const cpu0 = cpuMs(w.pid);
  for (let i = 0; i < SAMPLES; i++) times.push(await fn(i));
  const cpu1 = cpuMs(w.pid);
  // The server's CPU time per sample (everything it did: the timed request and what came with it).
  return { label, ...stats(times), ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMeanMs: (cpu1 - cpu0) / SAMPLES } : {}) };
}

const mid = (n) => Math.floor(n / 2);

/** The 10,000-line workspace, main.awr 2,000 lines; valid edits in its last graph. */
async function workspaceScenario() {
  const w = await openWorkspace("workspace", 10_000, 2_000);
  const at = (needle, nth, delta) => w.positionAt(w.offsetOf(needle, nth, delta));
  const g = mid(w.graphCount);
  const COMPLETIONS = [at("{{ ticket.", g), at("  model: ", g), at("when triage!.", g)];
  const HOVERS = [at("(ticket: ", g, 10), at("{ run ", g, 8), at("triage!.confidence", g, 10), at("-> triage }", g, 4)];
  // One character of a string in the last graph, toggled: the text stays valid, nothing moves.
  const EDIT = w.offsetOf('"none"', w.graphCount - 1, 1);
  let toggle = false;
  const edit = () => ((toggle = !toggle), w.change(EDIT, EDIT + 1, toggle ? "N" : "n"));
  const results = [];
  results.push(await sample(w, "diagnostics after an edit", () => w.diagnosticsAfter(edit)));
  results.push(await sample(w, "completion, steady", (i) => w.request(CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length])));
  results.push(await sample(w, "completion, after edit", (i) => w.requestAfter(edit, CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length])));
  results.push(await sample(w, "hover, steady", (i) => w.request(HoverRequest.type, HOVERS[i % HOVERS.length])));
  results.push(await sample(w, "hover, after edit", (i) => w.requestAfter(edit, HoverRequest.type, HOVERS[i % HOVERS.length])));
  await w.stop();
  const by = (label) => results.find((r) => r.label === label);
  const verdicts = [
    ...["diagnostics after an edit", "completion, after edit", "hover, after edit"].map((label) => ({ measure: label, figure: "p50", target: 7 })),
    { measure: "diagnostics after an edit", figure: "p95", target: 100 },
    { measure: "completion, after edit", figure: "p95", target: 50 },
    { measure: "hover, after edit", figure: "p95", target: 50 },
  ].map((v) => ({ ...v, got: by(v.measure)[v.figure], pass: by(v.measure)[v.figure] <= v.target }));
  return { ...w.info, results, verdicts };
}

/** One 5,000-line main.awr; every edit in its middle. */
async function largeScenario() {
  const w = await openWorkspace("large", 10_000, 5_000);
  const g = mid(w.graphCount);
  // Completion in the graph before the edited one (the edits do not move it).
  const at = (needle, delta) => w.positionAt(w.offsetOf(needle, g - 1, delta));
  const COMPLETIONS = [at("{{ ticket."), at("  model: "), at("when triage!.")];
  // Typing: a character into the middle graph's "none", then deleted (everything after moves by one).
  const TYPE_AT = w.offsetOf('"none"', g, 1);
  let typed = false;
  const typeOrDelete = () => ((typed = !typed), typed ? w.change(TYPE_AT, TYPE_AT, "x") : w.change(TYPE_AT, TYPE_AT + 1, ""));
  // The error: the `}` that closes a node of the middle graph, deleted and typed again.
  const BREAK_AT = w.offsetOf("-> triage }", g, 10);
  let broken = false;
  const breakOrMend = () => ((broken = !broken), broken ? w.change(BREAK_AT, BREAK_AT + 1, "") : w.change(BREAK_AT, BREAK_AT, "}"));
  /** Puts the text in the state `broken === make` first (untimed). */
  const ensure = async (make) => {
    if (broken !== make) await w.diagnosticsAfter(breakOrMend);
  };
  const results = [];
  results.push(await sample(w, "diagnostics, valid edit", () => w.diagnosticsAfter(typeOrDelete)));
  results.push(await sample(w, "completion, valid edit", (i) => w.requestAfter(typeOrDelete, CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length])));
  if (typed) await w.diagnosticsAfter(typeOrDelete);
  results.push(await sample(w, "diagnostics, error made", async () => (await ensure(false), w.diagnosticsAfter(breakOrMend))));
  results.push(await sample(w, "diagnostics, error mended", async () => (await ensure(true), w.diagnosticsAfter(breakOrMend))));
  results.push(await sample(w, "completion, error made", async (i) => (await ensure(false), w.requestAfter(breakOrMend, CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length]))));
  results.push(await sample(w, "completion, error mended", async (i) => (await ensure(true), w.requestAfter(breakOrMend, CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length]))));
  await w.stop();
  const verdicts = results.map((r) => ({ measure: r.label, figure: "p95", target: 30, got: r.p95, pass: r.p95 <= 30 }));
  return { ...w.info, results, verdicts };
}

const scenarios = [];
if (!ONLY || ONLY === "workspace") scenarios.push(await workspaceScenario());
if (!ONLY || ONLY === "large") scenarios.push(await largeScenario());
const pass = scenarios.every((s) => s.verdicts.every((v) => v.pass));

if (JSON_OUT) {
  console.log(JSON.stringify({ node: process.version, samples: SAMPLES, warmup: WARMUP, diagnosticsDelay: 0, scenarios, pass }, null, 2));
} else {
  const fmt = (n) => n.toFixed(1).padStart(8);
  console.log(`AWR language server bench — node ${process.version}, ${scenarios[0]?.server} (${ROOT}), ${WARMUP} warm-up + ${SAMPLES} samples each, diagnosticsDelay 0`);
  for (const s of scenarios) {
    console.log(`\n${s.name}: ${s.lines} lines in ${s.files} files; main.awr (${s.mainLines} lines) open and importing all of them\n`);
    console.log(`${"measure".padEnd(28)}${"p50 ms".padStart(9)}${"p95 ms".padStart(9)}${"max ms".padStart(9)}${"server CPU ms/op".padStart(18)}`);
    for (const r of s.results) console.log(`${r.label.padEnd(28)}${fmt(r.p50).padStart(9)}${fmt(r.p95).padStart(9)}${fmt(r.max).padStart(9)}${(r.cpuMeanMs === undefined ? "—" : r.cpuMeanMs.toFixed(1)).padStart(18)}`);
    console.log("");
    for (const v of s.verdicts) console.log(`${s.name}: ${v.measure}: ${v.figure} ${v.got.toFixed(1)} ms — target ≤ ${v.target} ms: ${v.pass ? "PASS" : "FAIL"}`);
  }
}
process.exitCode = pass ? 0 : 1;
