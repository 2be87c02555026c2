import { describe, expect, test } from "vitest";
import { buildGraphModel, concurrentPairs, maxRuns, supersteps } from "../../compiler/analysis/graph-model.js";
import { analyzeProgram } from "../../compiler/analysis/index.js";
import { loadProgram } from "../../compiler/semantic/load.js";
import { graphOf, programOf } from "./helpers.js";

function model(body: string) {
  return buildGraphModel(graphOf(programOf(`graph g(n: int) {\n${body}\n}`)));
}

describe("supersteps", () => {
  test("fan-out, conditional branches and a join", () => {
    const m = model(
      `node a {}\nnode b {}\nnode c {}\nnode d {}\nnode e {}\nedge start -> [a, b]\nedge a -> c when n > 1\nedge a -> d otherwise\nedge [b, c] -> e\nedge [b, d] -> e`,
    );
    const s = supersteps(m);
    expect(s.complete).toBe(true);
    expect(s.readySets).toEqual([["a", "b"], ["d"], ["c"], ["e"]]);
    expect([...s.ran].sort()).toEqual(["a", "b", "c", "d", "e", "start"]);
  });

  test("a loop revisits its ready sets without growing", () => {
    const s = supersteps(model(`node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a when n > 0 max 3\nedge b -> end otherwise`));
    expect(s.readySets).toEqual([["a"], ["b"]]);
  });

  test("the state limit marks the exploration incomplete", () => {
    const s = supersteps(model(`node a {}\nnode b {}\nedge start -> a\nedge a -> b`), { limit: 1 });
    expect(s.complete).toBe(false);
  });
});

describe("concurrentPairs", () => {
  test("a cut-short exploration falls back to nodes neither of which leads to the other", () => {
    const m = model(`node a {}\nnode b {}\nnode c {}\nedge start -> a when n > 1\nedge start -> b otherwise\nedge b -> c`);
    expect([...concurrentPairs(supersteps(m), m)]).toEqual([]);
    expect([...concurrentPairs(supersteps(m, { limit: 1 }), m)].sort()).toEqual(["a|b", "a|c"]);
  });
});

describe("maxRuns", () => {
  test("max is a per-run budget on the edge", () => {
    const runs = maxRuns(model(`node a {}\nnode b {}\nnode c {}\nedge start -> a\nedge a -> b\nedge b -> a when n > 0 max 3\nedge b -> c otherwise`));
    // c is the loop's exit: the one run that enters the loop leaves it once
    expect(Object.fromEntries(runs)).toEqual({ start: 1, a: 4, b: 4, c: 1, end: 0 });
  });

  test("a join fires as often as its least frequent source; a cycle without max is unbounded", () => {
    const runs = maxRuns(model(`node a {}\nnode b {}\nnode j {}\nnode loop {}\nedge start -> [a, b]\nedge a -> a when n > 0 max 2\nedge [a, b] -> j\nedge j -> loop\nedge loop -> loop`));
    expect(Object.fromEntries(runs)).toEqual({ start: 1, a: 3, b: 1, j: 1, loop: Infinity, end: 0 });
  });

  test("an unbounded cycle beside a bounded loop: the loop keeps its bound, an invalid max bounds nothing", () => {
    const runs = maxRuns(model(`node x {}\nnode a {}\nnode b {}\nedge start -> [x, a]\nedge x -> x\nedge x -> end\nedge a -> b\nedge b -> a when n > 0 max 2\nedge b -> end otherwise`));
    expect(Object.fromEntries(runs)).toEqual({ start: 1, x: Infinity, a: 3, b: 3, end: Infinity });
    const invalid = maxRuns(model(`node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a when n > 0 max 0\nedge b -> end otherwise`));
    expect(Object.fromEntries(invalid)).toEqual({ start: 1, a: Infinity, b: Infinity, end: 1 });
  });

  test("on error routes count as runs of the handler", () => {
    const runs = maxRuns(model(`node a { run p() on error -> h }\nnode h {}\nedge start -> a\nedge a -> end`));
    expect(Object.fromEntries(runs)).toEqual({ start: 1, a: 1, h: 1, end: 1 });
  });
});

describe("analyzeProgram", () => {
  test("runs the graph checks and the cost check on every graph", () => {
    const p = programOf(`model m { name: "x" }\nprompt q() -> string { model: m\n user #"hi"# }\ngraph g() {\nnode a { run q() }\nnode lost {}\nedge start -> a\nedge a -> end\nedge lost -> end\n}`);
    expect(analyzeProgram(p).map((d) => d.code)).toEqual(["AWR4001", "AWR7001"]);
  });
});

describe("broken sources", () => {
  test("a graph the parser had to recover never makes the analysis throw", () => {
    const sources = [
      "graph g( {\nnode a { run }\nedge start -> \nedge -> a when\n}",
      "graph g() -> { node { } edge [a, -> b max }",
      "graph g() { state { x: } node a { map in run p() -> } edge a -> a max x! }",
      "graph g() { edge start -> [a, b] otherwise when",
    ];
    for (const text of sources) {
      const { program } = loadProgram(["/b.awr"], { read: (f) => (f === "/b.awr" ? text : undefined), resolve: () => undefined });
      expect(() => analyzeProgram(program)).not.toThrow();
    }
  });
});
