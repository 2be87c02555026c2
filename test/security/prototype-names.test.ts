// Attack: names that are members of Object.prototype (`constructor`, `__proto__`, `toString`, …)
// where a name is looked up in a table — a graph to run (CLI flag, `runtime.start`, later an HTTP
// request), a source option or kind, a block key, a rate unit. A plain `table[name]` finds the
// prototype's member: `awr run --graph constructor` crashed with exit 70 (a TypeError deep in
// validation), `source t = vector("…") { constructor: 1 }` crashed `awr check`. Each must be a
// clear refusal. test/fuzz/robustness.test.ts puts these names in every word's place of the corpus.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { createRuntime } from "../../vm/runtime.js";
import { MemoryStore } from "../../vm/store/index.js";
import { awr } from "../helpers/awr-cli.js";
import { memoryHost } from "../helpers/memory-host.js";
import { noModels, noTools, planOf } from "../vm/helpers.js";

const NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty"];
const GRAPH = `graph g(x: int) -> int {
  state { n: int @reduce(sum) = 0 }
  node s { set n = x }
  edge start -> s
  edge s -> end
  return n
}
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "awr-proto-names-"));
  writeFileSync(join(dir, "main.awr"), GRAPH);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a graph named like a prototype member", () => {
  it.each(NAMES)("runtime.start(%j) is refused as an unknown graph", async (name) => {
    const rt = createRuntime({ plan: planOf(GRAPH), store: new MemoryStore(), models: noModels, tools: noTools });
    await expect(rt.start(name, { x: 1 })).rejects.toThrow(`the plan has no graph "${name}" (it has g)`);
  });

  it.each(["constructor", "__proto__"])("awr run --graph %s: a usage error (exit 2), not a crash", async (name) => {
    const r = await awr(["run", join(dir, "main.awr"), "--graph", name, "--input", '{"x":1}', "--store", "memory:"]);
    expect(r.stderr).toContain(`the plan has no graph "${name}" (it has g)`);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(2);
  });
});

describe("checker tables", () => {
  const diagnostics = (source: string) => compile(["main.awr"], memoryHost({ "main.awr": source }), {}).diagnostics.map((d) => `${d.code} ${d.message}`);

  it.each(NAMES)("a source option %j is an unknown option (AWR5004)", (name) => {
    const ds = diagnostics(`context docs {\n  source t = vector("./kb/*.md") { ${name}: 1 }\n}\n${GRAPH}`);
    expect(ds).toContain(`AWR5004 a vector source has no option "${name}"`);
  });

  it.each(NAMES)("a source kind %j is not a source (AWR5004)", (name) => {
    const ds = diagnostics(`context docs {\n  source t = ${name}("x")\n}\n${GRAPH}`);
    expect(ds.some((d) => d.startsWith("AWR5004 a source is vector("))).toBe(true);
  });

  it.each(NAMES)("a block key %j and a rate unit %j are refused", (name) => {
    const ds = diagnostics(`tool t(x: int) -> int {\n  impl: builtin("std.time.now")\n  timeout: 5s\n  rate: 20/${name}\n  retry: { ${name}: 1 }\n}\n${GRAPH}`);
    expect(ds).toContain(`AWR2007 "retry" has no key "${name}"`);
    expect(ds.some((d) => d.startsWith("AWR2011") && d.includes('"rate" must be calls per unit'))).toBe(true);
  });
});
