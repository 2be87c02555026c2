#!/usr/bin/env node
// Latency of the language server on a 10,000-line workspace, as an editor sees it.
//
//   npm run build && node bench/lsp.mjs [--lines N] [--main N] [--samples N] [--warmup N] [--dir DIR] [--json]
//
// Spawns the built `node bin/awr.mjs lsp --stdio` and speaks JSON-RPC to it
// (vscode-languageserver-protocol/node). The workspace is generated on disk in a temp directory:
// domain modules of types, a model, a tool, prompts and a graph, and one 2,000-line `main.awr` that
// imports every module (so its program is the whole workspace); only `main.awr` is open. Measured,
// after warm-up, with `initializationOptions.diagnosticsDelay = 0` (no debounce):
//
//   diagnostics  didChange (a one-character edit in a template) → the publishDiagnostics that follows
//   completion   at 3 positions (member after `.` in a hole, a model after `model:`, a field after `!.`)
//   hover        at 4 positions (a type, a prompt in `run`, a record field, a state field)
//
//   broken       an edit that makes a syntax error (the `}` closing a node deleted, mid-file) and the
//                edit that mends it (the `}` typed again), alternately: the diagnostics that follow
//                each, and completion right after the error-making edit (what typing looks like:
//                most keystrokes leave the text broken for a moment)
//
// Completion and hover are measured twice: "steady" (no edit since the last request: the program is
// cached) and "after edit" (a didChange immediately before the request, as when typing: the request
// pays for what the edit invalidated — re-parse and re-load for completion, plus the re-check of the
// touched declarations for hover — and, with delay 0, often for that edit's diagnostics). Targets: p95 ≤ 50 ms for completion and hover (after edit, the
// case an editor meets), ≤ 100 ms for diagnostics.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
const ROOT = join(HERE, "..");
const BIN = join(ROOT, "bin", "awr.mjs");
const TARGETS = { completion: 50, hover: 50, diagnostics: 100 };

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const TOTAL_LINES = opt("lines", 10_000);
const MAIN_LINES = opt("main", 2_000);
const SAMPLES = opt("samples", 60);
const WARMUP = opt("warmup", 10);
const JSON_OUT = args.includes("--json");
/** `--dir DIR`: generate the workspace there and keep it (to profile it); default a temp dir, removed. */
const KEEP_DIR = args.includes("--dir") ? args[args.indexOf("--dir") + 1] : undefined;

if (!existsSync(join(ROOT, "dist", "cli", "main.js")) || !existsSync(join(ROOT, "dist", "lsp", "server.js"))) {
  console.error("bench/lsp.mjs: the built server is missing (dist/).\nRun `npm run build` first, then `node bench/lsp.mjs`.");
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

function generate() {
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

const { files, lines } = generate();
const dir = KEEP_DIR ?? mkdtempSync(join(tmpdir(), "awr-bench-lsp-"));
for (const [f, t] of Object.entries(files)) {
  const path = join(dir, f);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, t);
}
const MAIN = join(dir, "main.awr");
const MAIN_URI = pathToFileURL(MAIN).href;
let text = files["main.awr"];

// ---------------------------------------------------------------------------------------------
// The server.

const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
let stderr = "";
child.stderr.setEncoding("utf8").on("data", (t) => (stderr += t));
const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const published = [];
let onPublish;
conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
  if (p.uri !== MAIN_URI) return;
  published.push(p);
  onPublish?.(p);
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
let version = 1;
{
  const first = nextPublish();
  await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: MAIN_URI, languageId: "awr", version, text } });
  const p = await first;
  const errors = p.diagnostics.filter((d) => d.severity === 1);
  if (errors.length) {
    console.error(`bench/lsp.mjs: the generated workspace does not check (${errors.length} errors), e.g. ${errors[0].code} ${errors[0].message} at ${errors[0].range.start.line + 1}`);
    await stop();
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Positions and edits.

const posOf = (needle, nth = 0, delta = needle.length) => {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`bench/lsp.mjs: "${needle}" not found in main.awr`);
  const o = at + delta;
  const before = text.slice(0, o).split("\n");
  return { line: before.length - 1, character: before[before.length - 1].length };
};
const mid = (n) => Math.floor(n / 2);
const graphCount = (text.match(/^graph /gm) ?? []).length;
const COMPLETIONS = [
  ["member in a template hole", posOf("{{ ticket.", mid(graphCount))],
  ["model after `model:`", posOf("  model: ", mid(graphCount))],
  ["field after `triage!.`", posOf("when triage!.", mid(graphCount))],
];
const HOVERS = [
  ["type in a parameter", posOf("(ticket: ", mid(graphCount), 10)],
  ["prompt in `run`", posOf("{ run ", mid(graphCount), 8)],
  ["record field", posOf("triage!.confidence", mid(graphCount), 10)],
  ["state field", posOf("-> triage }", mid(graphCount), 4)],
];
// The edit: one character of a string in a template of the last block, toggled (the text stays valid).
const EDIT_AT = posOf('"none"', graphCount - 1, 1);
let toggle = false;
async function edit() {
  version++;
  toggle = !toggle;
  await conn.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: MAIN_URI, version },
    contentChanges: [{ range: { start: EDIT_AT, end: { line: EDIT_AT.line, character: EDIT_AT.character + 1 } }, text: toggle ? "N" : "n" }],
  });
}

// The error: the `}` that closes a node in the middle graph, deleted and typed again.
const BREAK_AT = posOf("-> triage }", mid(graphCount), 10);
let broken = false;
async function breakOrMend() {
  version++;
  broken = !broken;
  const end = broken ? { line: BREAK_AT.line, character: BREAK_AT.character + 1 } : BREAK_AT;
  await conn.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: MAIN_URI, version },
    contentChanges: [{ range: { start: BREAK_AT, end }, text: broken ? "" : "}" }],
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};

async function diagnosticsLatency() {
  const p = nextPublish();
  const t0 = now();
  await edit();
  await p;
  return now() - t0;
}
async function request(type, position) {
  const t0 = now();
  const r = await conn.sendRequest(type, { textDocument: { uri: MAIN_URI }, position });
  const ms = now() - t0;
  if (r === null || (Array.isArray(r) && r.length === 0) || (r.items && r.items.length === 0)) throw new Error(`bench/lsp.mjs: empty answer to ${type.method} at ${JSON.stringify(position)}`);
  return ms;
}
/** A request right after an edit, before the debounced diagnostics ran (what typing looks like). */
async function afterEdit(type, position) {
  const p = nextPublish();
  await edit();
  const ms = await request(type, position);
  await p; // let the diagnostics of this edit finish before the next sample
  return ms;
}

/** Diagnostics after an edit that makes the error (`make`) or mends it; the other edit is not timed. */
async function brokenDiagnostics(make) {
  if (broken === make) {
    const p = nextPublish();
    await breakOrMend();
    await p;
  }
  const p = nextPublish();
  const t0 = now();
  await breakOrMend();
  await p;
  return now() - t0;
}
/** Completion right after the error-making edit; the text is mended again before the next sample. */
async function completionWhileBroken(position) {
  if (broken) await brokenDiagnostics(false);
  const p = nextPublish();
  await breakOrMend();
  const ms = await request(CompletionRequest.type, position);
  await p;
  return ms;
}

async function sample(label, fn) {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const times = [];
  for (let i = 0; i < SAMPLES; i++) times.push(await fn(i));
  return { label, ...stats(times) };
}

const results = [];
results.push(await sample("diagnostics after an edit", () => diagnosticsLatency()));
results.push(await sample("completion, steady", (i) => request(CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length][1])));
results.push(await sample("completion, after edit", (i) => afterEdit(CompletionRequest.type, COMPLETIONS[i % COMPLETIONS.length][1])));
results.push(await sample("hover, steady", (i) => request(HoverRequest.type, HOVERS[i % HOVERS.length][1])));
results.push(await sample("hover, after edit", (i) => afterEdit(HoverRequest.type, HOVERS[i % HOVERS.length][1])));
results.push(await sample("diagnostics, error made", () => brokenDiagnostics(true)));
results.push(await sample("diagnostics, error mended", () => brokenDiagnostics(false)));
results.push(await sample("completion, while broken", (i) => completionWhileBroken(COMPLETIONS[i % COMPLETIONS.length][1])));
if (broken) await brokenDiagnostics(false);

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
}
await stop();

const verdicts = [
  ["completion", results[2], TARGETS.completion],
  ["hover", results[4], TARGETS.hover],
  ["diagnostics", results[0], TARGETS.diagnostics],
  ["diagnostics (error made)", results[5], TARGETS.diagnostics],
  ["diagnostics (error mended)", results[6], TARGETS.diagnostics],
  ["completion (while broken)", results[7], TARGETS.completion],
].map(([what, r, target]) => ({ what, measured: r.label, p95: r.p95, target, pass: r.p95 <= target }));
const pass = verdicts.every((v) => v.pass);

if (JSON_OUT) {
  console.log(JSON.stringify({ lines, files: Object.keys(files).length, mainLines: text.split("\n").length - 1, samples: SAMPLES, warmup: WARMUP, diagnosticsDelay: 0, results, verdicts, pass }, null, 2));
} else {
  const fmt = (n) => n.toFixed(1).padStart(8);
  console.log(`AWR language server bench — node ${process.version}, ${init.serverInfo?.name} ${init.serverInfo?.version}, ${WARMUP} warm-up + ${SAMPLES} samples each`);
  console.log(`workspace: ${lines} lines in ${Object.keys(files).length} files; main.awr (${text.split("\n").length - 1} lines) open and importing all of them; diagnosticsDelay 0\n`);
  console.log(`${"measure".padEnd(28)}${"p50 ms".padStart(9)}${"p95 ms".padStart(9)}${"max ms".padStart(9)}`);
  for (const r of results) console.log(`${r.label.padEnd(28)}${fmt(r.p50).padStart(9)}${fmt(r.p95).padStart(9)}${fmt(r.max).padStart(9)}`);
  console.log("");
  for (const v of verdicts) console.log(`${v.what}: p95 ${v.p95.toFixed(1)} ms (${v.measured}) — target ≤ ${v.target} ms: ${v.pass ? "PASS" : "FAIL"}`);
}
if (stderr.trim()) console.error(stderr.trim());
process.exitCode = pass ? 0 : 1;
