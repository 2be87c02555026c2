// Offline model providers: `RecordedModels` answers from a recordings file; `RecordingModels` wraps
// a live provider and appends what it answers to such a file, so a real run is recorded once and
// replayed offline (CI, demos, `awr run --models recorded:FILE`).
//
// The file is JSONL, one answer per line:
//   { "caller": "triage_prompt", "model": "fast", "match"?: { "contains"?: "..." | [...] },
//     "output": <the answer, already parsed>, "usage"?: { "input": 12, "output": 7 },
//     "toolCalls"?: [{ "id"?: "call_1", "name": "lookup_orders", "arguments": { "email": "a@b.co" } }] }
//
// A line with `toolCalls` is a turn of an agent's loop that calls tools (or `transfer_to_<agent>`)
// instead of answering; its `output` may be omitted. An agent's loop takes one line per model turn,
// in file order, like repeated calls of a prompt. `arguments` may be an object or the JSON text;
// a missing `id` becomes `call_<index>`.
// Picking an answer for a call by `caller`:
// - the caller's lines are considered in file order; when some of them name the requested model,
//   only those are (so the answers of a fallback model stay apart);
// - a line with `match.contains` applies only when every given substring occurs in the request's
//   message text;
// - the first line not used yet is taken (a prompt called twice gets the second line); once all
//   are used, the last applicable line answers again;
// - no line for the caller → a non-retryable `transport` failure naming the prompt and the file.
// A resumed run asks only for the calls its journal does not hold: `continueAfter(journal, events)`
// first marks as used the lines that answered the journal's calls (picked by the same rules, in
// journal order), so the resumed run gets the answers after them, not the file's first lines again.
// Cost comes from the plan's price, exactly as for the live gateway.
import { appendFileSync, readFileSync } from "node:fs";
import { z } from "zod";
import { JsonValueSchema } from "../../compiler/plan/index.js";
import { VmFailure, type Json, type JournalEntry, type ModelProvider, type ModelRequest, type ModelResponse, type VmEvent } from "../types.js";
import { costOf } from "./cost.js";

const RecordingSchema = z.object({
  caller: z.string(),
  model: z.string().optional(),
  match: z.object({ contains: z.union([z.string(), z.array(z.string())]).optional() }).optional(),
  output: JsonValueSchema.optional(),
  usage: z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).optional(),
  toolCalls: z.array(z.object({ id: z.string().optional(), name: z.string(), arguments: z.union([z.string(), JsonValueSchema]) })).optional(),
}).refine((r) => r.output !== undefined || (r.toolCalls?.length ?? 0) > 0, { message: "a recording needs an output or toolCalls" });

export type Recording = z.infer<typeof RecordingSchema>;

/** Parses JSONL recordings; throws an Error naming the file and line on a bad line. */
export function parseRecordings(text: string, file = "recordings"): Recording[] {
  const out: Recording[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const r = RecordingSchema.safeParse(raw);
    if (!r.success) throw new Error(`${file}:${i + 1}: not a recording: ${r.error.issues.map((x) => `${x.path.join(".") || "line"}: ${x.message}`).join("; ")}`);
    out.push(r.data);
  });
  return out;
}

export class RecordedModels implements ModelProvider {
  private readonly used = new Set<Recording>();

  /** `file` is only used in messages. */
  constructor(
    private readonly recordings: readonly Recording[],
    private readonly file = "recordings",
  ) {}

  static fromFile(path: string): RecordedModels {
    return new RecordedModels(parseRecordings(readFileSync(path, "utf8"), path), path);
  }

  /** The line that answers a call (marked used), or undefined; `mine` is how many lines the caller has. */
  private pick(caller: string, model: string, text: string): { pick: Recording | undefined; mine: number } {
    const mine = this.recordings.filter((r) => r.caller === caller);
    const sameModel = mine.filter((r) => r.model === model);
    const applicable = (sameModel.length > 0 ? sameModel : mine).filter((r) => matches(r, text));
    const pick = applicable.find((r) => !this.used.has(r)) ?? applicable[applicable.length - 1];
    if (pick) this.used.add(pick);
    return { pick, mine: mine.length };
  }

  /**
   * Continues a run where its journal ends: marks as used the lines that answered the model calls
   * the journal holds (finished, in journal order; each call's caller read from the run's stored
   * events, its model and message text from the call's journaled request). Returns how many.
   */
  continueAfter(journal: readonly JournalEntry[], events: readonly VmEvent[]): number {
    const callers = new Map<string, string>();
    for (const e of events) {
      if ((e.type === "effect.requested" || e.type === "effect.completed") && (e.kind === "prompt" || e.kind === "agent") && e.model !== undefined) callers.set(e.key, e.name);
    }
    const requests = new Map<string, Json | undefined>();
    for (const e of journal) if (e.phase === "intent") requests.set(e.key, e.value);
    let n = 0;
    for (const e of journal) {
      if (e.phase !== "outcome" || e.error || (e.kind !== "prompt" && e.kind !== "agent")) continue;
      const caller = callers.get(e.key);
      const req = requests.get(e.key);
      if (caller === undefined || req === null || typeof req !== "object" || Array.isArray(req)) continue;
      const model = req["model"];
      const messages = req["messages"];
      if (typeof model !== "string" || !Array.isArray(messages)) continue;
      const text = messages.map((m) => (m !== null && typeof m === "object" && !Array.isArray(m) && typeof m["content"] === "string" ? m["content"] : "")).join("\n");
      if (this.pick(caller, model, text).pick) n++;
    }
    return n;
  }

  async call(req: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    if (signal.aborted) throw new VmFailure({ kind: "cancelled", message: `model ${req.model}: the call was cancelled`, retryable: false });
    const text = req.messages.map((m) => m.content).join("\n");
    const { pick, mine } = this.pick(req.caller, req.model, text);
    if (!pick)
      throw new VmFailure({
        kind: "transport",
        message:
          mine === 0
            ? `no recorded response for prompt ${req.caller} in ${this.file}`
            : `no recorded response for prompt ${req.caller} in ${this.file} matches the request`,
        retryable: false,
      });
    const usage = pick.usage ?? { input: 0, output: 0 };
    const res: ModelResponse = { output: (pick.output ?? "") as Json, usage: { ...usage }, costUsd: costOf(req.plan.price, usage) };
    if (pick.toolCalls?.length)
      res.toolCalls = pick.toolCalls.map((c, i) => ({ id: c.id ?? `call_${i}`, name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) }));
    return res;
  }
}

function matches(r: Recording, text: string): boolean {
  const c = r.match?.contains;
  if (c === undefined) return true;
  return (Array.isArray(c) ? c : [c]).every((s) => text.includes(s));
}

/** Wraps a provider and appends every successful answer to `file` as a recording line. */
export class RecordingModels implements ModelProvider {
  constructor(
    private readonly inner: ModelProvider,
    private readonly file: string,
  ) {}

  async call(req: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    const res = await this.inner.call(req, signal);
    const line: Recording = { caller: req.caller, model: req.model, output: res.output, usage: res.usage };
    if (res.toolCalls?.length) line.toolCalls = res.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
    // Synchronous append: concurrent calls (map fan-out) never interleave within a line.
    appendFileSync(this.file, JSON.stringify(line) + "\n", "utf8");
    return res;
  }
}
