// Attack: `awr run` given hostile input — nested 5,000 levels (which overflowed the store's encoding:
// exit 70) or 12 MB of it. Both are refused before any run is stored (exit 2), naming the limit and
// the size. An embedder's `runtime.start` refuses the same input (InvalidInput) before storing a run;
// `checkInput` adds the graph's parameters for callers that want a refusal for those too.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { checkInput, InvalidInput, MAX_INPUT_BYTES } from "../../vm/operator.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/index.js";
import { noModels, noTools, planOf } from "../vm/helpers.js";
import { awr } from "../helpers/awr-cli.js";

const SOURCE = `graph g(x: int, extra: json?) -> int {
  node n { set y = x }
  state { y: int? }
  edge start -> n
  edge n -> end
  return y ?? 0
}
`;
const dir = mkdtempSync(join(tmpdir(), "awr-sec-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "main.awr"), SOURCE);
const big = JSON.stringify({ x: 1, extra: "a".repeat(12 * 1024 * 1024) });
writeFileSync(join(dir, "big.json"), big);

describe("hostile run input", () => {
  it("12 MB of input: exit 2 naming the size and the 10 MB limit, no run stored", async () => {
    const store = join(dir, "runs.db");
    const r = await awr(["run", "main.awr", "-i", "@big.json", "--store", store], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the input is 12\.0 MB \(\d+ bytes\), over the limit of 10\.0 MB \(10485760 bytes\); pass large data by reference/);
    expect(existsSync(store)).toBe(false);
  });

  it("nested 5,000 levels: exit 2 naming the depth limit, no stack trace", async () => {
    const deep = `{"x": 1, "extra": ${"[".repeat(5000)}1${"]".repeat(5000)}}`;
    const r = await awr(["run", "main.awr", "-i", deep, "--store", "memory:"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the input nests deeper than 128 levels");
    expect(r.stderr).not.toMatch(/Maximum call stack|\n\s+at /);
  });

  it("checkInput refuses input one byte over the limit and accepts it at the limit", () => {
    const plan = planOf(SOURCE);
    const at = (n: number) => ({ x: 1, extra: "a".repeat(n - '{"x":1,"extra":""}'.length) });
    expect(JSON.stringify(at(MAX_INPUT_BYTES)).length).toBe(MAX_INPUT_BYTES);
    expect(() => checkInput(plan, "g", at(MAX_INPUT_BYTES))).not.toThrow();
    expect(() => checkInput(plan, "g", at(MAX_INPUT_BYTES + 1))).toThrow(InvalidInput);
  });

  it("runtime.start refuses input over the size or nesting limit before a run is stored", async () => {
    const store = new MemoryStore();
    const rt = createRuntime({ plan: planOf(SOURCE), store, models: noModels, tools: noTools });
    const deep = JSON.parse(`{"x": 1, "extra": ${"[".repeat(5000)}1${"]".repeat(5000)}}`);
    await expect(rt.start("g", deep)).rejects.toThrow(InvalidInput);
    await expect(rt.start("g", deep)).rejects.toThrow("the input nests deeper than 128 levels");
    await expect(rt.start("g", JSON.parse(big))).rejects.toThrow(/over the limit of 10\.0 MB/);
    expect(await Effect.runPromise(store.queries.list({}))).toEqual([]);
    // Within the limits the run starts as before.
    await expect(rt.start("g", { x: 2 })).resolves.toMatchObject({ status: "completed", output: 2 });
  });
});
