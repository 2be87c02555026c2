import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { costOf } from "../../../vm/gateway/cost.js";
import { parseRecordings, RecordedModels, RecordingModels } from "../../../vm/gateway/recorded.js";
import { VmFailure, type FailureInfo, type ModelProvider } from "../../../vm/types.js";
import { modelPlan, request } from "./helpers.js";
import { failure } from "../../helpers/failure.js";

const signal = () => new AbortController().signal;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), "awr-rec-"));
  dirs.push(d);
  return join(d, name);
};


const lines = [
  { caller: "triage_prompt", model: "fast", output: { n: 1 }, usage: { input: 10, output: 2 } },
  { caller: "lookup", model: "fast", output: "one line" },
  { caller: "triage_prompt", model: "fast", output: { n: 2 }, usage: { input: 20, output: 4 } },
  { caller: "triage_prompt", model: "smart", output: { n: "smart" } },
];
const jsonl = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

describe("RecordedModels", () => {
  it("answers a caller's recordings in order, then repeats the last", async () => {
    const m = new RecordedModels(parseRecordings(jsonl, "rec.jsonl"), "rec.jsonl");
    const outs = [];
    for (let i = 0; i < 3; i++) outs.push((await m.call(request(), signal())).output);
    expect(outs).toEqual([{ n: 1 }, { n: 2 }, { n: 2 }]);
    expect((await m.call(request({ caller: "lookup", schema: null }), signal())).output).toBe("one line");
  });

  it("keeps the answers of another model apart", async () => {
    const m = new RecordedModels(parseRecordings(jsonl));
    expect((await m.call(request({ model: "smart" }), signal())).output).toEqual({ n: "smart" });
    expect((await m.call(request(), signal())).output).toEqual({ n: 1 });
    // A model with no recording of its own takes the caller's next unused recording, whatever its model.
    expect((await m.call(request({ model: "other" }), signal())).output).toEqual({ n: 2 });
  });

  it("honours match.contains", async () => {
    const m = new RecordedModels(
      parseRecordings(
        [
          { caller: "lookup", match: { contains: "billing" }, output: "about billing" },
          { caller: "lookup", match: { contains: ["bug", "crash"] }, output: "about bugs" },
        ]
          .map((l) => JSON.stringify(l))
          .join("\n"),
      ),
    );
    const ask = (topic: string) => m.call(request({ caller: "lookup", schema: null, messages: [{ role: "user", content: topic }] }), signal());
    expect((await ask("a crash bug")).output).toBe("about bugs");
    expect((await ask("billing")).output).toBe("about billing");
    expect((await failure(ask("weather"))).message).toContain("matches the request");
  });

  it("computes usage and cost from the plan price like the live gateway", async () => {
    const m = new RecordedModels(parseRecordings(jsonl));
    const price = { input: 0.15, output: 0.6 };
    const res = await m.call(request({ plan: modelPlan({ price }) }), signal());
    expect(res.usage).toEqual({ input: 10, output: 2 });
    expect(res.costUsd).toBe(costOf(price, { input: 10, output: 2 }));
    expect(res.costUsd).toBeCloseTo((10 * 0.15 + 2 * 0.6) / 1e6, 12);
    // No usage recorded → zero tokens, zero cost.
    const lookup = await m.call(request({ caller: "lookup", plan: modelPlan({ price }) }), signal());
    expect(lookup).toEqual({ output: "one line", usage: { input: 0, output: 0 }, costUsd: 0 });
  });

  it("an unknown caller is a clear, non-retryable transport failure naming the file", async () => {
    const file = tempFile("rec.jsonl");
    writeFileSync(file, jsonl);
    const info = await failure(RecordedModels.fromFile(file).call(request({ caller: "summarise" }), signal()));
    expect(info).toEqual({ kind: "transport", message: `no recorded response for prompt summarise in ${file}`, retryable: false });
  });

  it("rejects a bad line with its number", () => {
    expect(() => parseRecordings('{"caller":"a","output":1}\n{"output":2}\n', "r.jsonl")).toThrow(/^r\.jsonl:2: not a recording: caller/);
    expect(() => parseRecordings("{oops", "r.jsonl")).toThrow(/^r\.jsonl:1: not JSON/);
  });
});

describe("RecordingModels", () => {
  it("appends what the wrapped provider answers, and the file replays", async () => {
    let n = 0;
    const live: ModelProvider = {
      call: async (req) => ({ output: { n: ++n, caller: req.caller }, usage: { input: 5, output: n }, costUsd: 0.001 }),
    };
    const file = tempFile("out.jsonl");
    const rec = new RecordingModels(live, file);
    const first = await rec.call(request(), signal());
    await rec.call(request(), signal());
    expect(first).toEqual({ output: { n: 1, caller: "triage_prompt" }, usage: { input: 5, output: 1 }, costUsd: 0.001 });
    const written = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(written).toEqual([
      { caller: "triage_prompt", model: "fast", output: { n: 1, caller: "triage_prompt" }, usage: { input: 5, output: 1 } },
      { caller: "triage_prompt", model: "fast", output: { n: 2, caller: "triage_prompt" }, usage: { input: 5, output: 2 } },
    ]);
    const replay = RecordedModels.fromFile(file);
    expect((await replay.call(request(), signal())).output).toEqual({ n: 1, caller: "triage_prompt" });
    expect((await replay.call(request(), signal())).output).toEqual({ n: 2, caller: "triage_prompt" });
  });

  it("records nothing when the wrapped provider fails", async () => {
    const file = tempFile("out.jsonl");
    const failing: ModelProvider = {
      call: async () => {
        throw new VmFailure({ kind: "rate_limit", message: "slow down", retryable: true });
      },
    };
    expect((await failure(new RecordingModels(failing, file).call(request(), signal()))).kind).toBe("rate_limit");
    expect(() => readFileSync(file)).toThrow();
  });
});
