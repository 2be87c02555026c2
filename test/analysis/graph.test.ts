import { describe, expect, test } from "vitest";
import { analyzeGraph } from "../../compiler/analysis/graph.js";
import { FILE, graphOf, programOf, render } from "./helpers.js";

const DESIGN = `
type Triage { priority: string, confidence: float }
type Ticket { id: string, tags: list<string> = [] }
graph support(ticket: Ticket) -> string {
  state {
    triage: Triage?
    reply: string?
    notes: list<string> @reduce(append) = []
  }
  node classify {
    run triage_prompt(ticket) -> triage
    retry 2
    timeout 20s
  }
  node answer   { run resolver(ticket, triage!) -> reply }
  node escalate { await human("escalation") -> reply }
  node research { map topic in ticket.tags concurrency 4 run lookup(topic) -> notes }

  edge start -> [classify, research]
  edge research -> end
  edge classify -> escalate when triage!.priority == "urgent" || triage!.confidence < 0.6
  edge classify -> answer otherwise
  edge answer -> end
  edge escalate -> end
  return reply!
}
`;

/** Diagnostics of graph \"g\" declared with \"body\", as `CODE line:col span-text | message`. */
function check(body: string, header = "graph g(n: int) -> string"): string[] {
  const p = programOf(`${header} {\n${body}\n}\n`);
  return render(p, analyzeGraph(p, FILE, graphOf(p, "g")));
}
/** Only `CODE span-text`. */
function codes(body: string, header?: string): string[] {
  return check(body, header).map((l) => l.replace(/ \d+:\d+ /, " ").replace(/ \|.*$/, ""));
}

const RETURN = "return 1";

describe("a well-formed graph", () => {
  test("the design example has no findings", () => {
    const p = programOf(DESIGN);
    expect(analyzeGraph(p, FILE, graphOf(p))).toEqual([]);
  });
});

describe("node names (AWR4010, AWR4006, AWR4011)", () => {
  test("an edge naming an unknown node suggests the close name and does not cascade into AWR4001", () => {
    const src = `node classify {}\nedge start -> clasify\nedge classify -> end\n${RETURN}`;
    expect(check(src)).toEqual(["AWR4010 3:15 clasify | unknown node \"clasify\"; did you mean \"classify\"?"]);
    const p = programOf(`graph g() -> int {\n${src}\n}`);
    const [d] = analyzeGraph(p, FILE, graphOf(p));
    expect(d!.fixes).toEqual([{ kind: "replace", span: d!.span, text: "classify", title: "Change to \"classify\"" }]);
  });

  test("no suggestion when nothing is close", () => {
    const p = programOf(`graph g() -> int {\nnode a {}\nedge start -> a\nedge a -> zebra\nreturn 1\n}`);
    const ds = analyzeGraph(p, FILE, graphOf(p));
    expect(ds.map((d) => [d.code, d.message, d.fixes])).toEqual([["AWR4010", "unknown node \"zebra\"", undefined]]);
  });

  test("`on error` naming an unknown node", () => {
    expect(codes(`node a { run x() on error -> handlr }\nnode handler {}\nedge start -> a\n${RETURN}`)).toEqual([
      "AWR4010 handlr",
    ]);
  });

  test("edges out of end, into start, start in a join, a name twice", () => {
    expect(
      codes(`node a {}\nnode b {}\nedge start -> [a, b]\nedge end -> a\nedge a -> start\nedge [start, a] -> b\nedge b -> [end, end]\n${RETURN}`),
    ).toEqual(["AWR4006 end", "AWR4006 start", "AWR4006 start", "AWR4006 end"]);
  });

  test("`max` needs a positive integer literal", () => {
    expect(codes(`node a {}\nedge start -> a\nedge a -> a max 0\nedge a -> end\n${RETURN}`)).toEqual(["AWR4006 0"]);
  });

  test("reserved and duplicate node names", () => {
    expect(codes(`node start {}\nnode a {}\nnode a {}\nedge start -> a\nedge a -> end\n${RETURN}`)).toEqual([
      "AWR4011 start",
      "AWR4011 a",
    ]);
  });
});

describe("conditions (AWR4007)", () => {
  test("two `otherwise` edges from one source", () => {
    const out = check(`node a {}\nnode b {}\nnode c {}\nedge start -> a\nedge a -> b when n > 1\nedge a -> c otherwise\nedge a -> end otherwise\n${RETURN}`);
    expect(out).toEqual([
      "AWR4007 8:1 edge a -> end otherwise | more than one `otherwise` edge leaves \"a\": at most one is allowed per source",
    ]);
  });

  test("one `otherwise` per source, sources differ", () => {
    expect(codes(`node a {}\nnode b {}\nedge start -> [a, b]\nedge a -> end otherwise\nedge b -> end otherwise\n${RETURN}`)).toEqual([]);
  });
});

describe("reachability (AWR4001, AWR4002)", () => {
  test("a node no edge leads to", () => {
    expect(check(`node a {}\nnode lost {}\nedge start -> a\nedge a -> end\n${RETURN}`)).toEqual([
      "AWR4001 3:6 lost | node \"lost\" can never run",
    ]);
  });

  test("a node reached only through `on error` is reachable", () => {
    expect(codes(`node a { run x() on error -> fix }\nnode fix {}\nedge start -> a\nedge a -> end\nedge fix -> end\n${RETURN}`)).toEqual([]);
  });

  test("no edge leaves start", () => {
    expect(check(`node a {}\nedge a -> end\n${RETURN}`)).toEqual(["AWR4001 2:6 a | node \"a\" can never run (no edge leaves `start`)"]);
  });

  test("a join whose sources are on exclusive branches never fires", () => {
    const out = codes(`node a {}\nnode b {}\nnode d {}\nedge start -> a when n > 1\nedge start -> b otherwise\nedge [a, b] -> d\nedge d -> end\n${RETURN}`);
    expect(out).toEqual(["AWR4001 d"]);
  });

  test("a join of a fan-out fires", () => {
    expect(codes(`node a {}\nnode b {}\nnode d {}\nedge start -> [a, b]\nedge [a, b] -> d\nedge d -> end\n${RETURN}`)).toEqual([]);
  });

  test("a join after branches of different lengths fires", () => {
    expect(
      codes(`node a {}\nnode a2 {}\nnode b {}\nnode d {}\nedge start -> [a, b]\nedge a -> a2\nedge [a2, b] -> d\nedge d -> end\n${RETURN}`),
    ).toEqual([]);
  });

  test("a closed loop cannot reach end", () => {
    const out = check(`node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a max 3\n${RETURN}`);
    expect(out).toEqual([
      "AWR4002 2:6 a | node \"a\" cannot reach `end`: every path from it stays in a loop; from it the run can only go to \"b\", so the run stops when the loop's `max` is spent. Add an edge out of the loop (e.g. `edge a -> end otherwise`)",
      "AWR4002 3:6 b | node \"b\" cannot reach `end`: every path from it stays in a loop; from it the run can only go to \"a\", so the run stops when the loop's `max` is spent. Add an edge out of the loop (e.g. `edge b -> end otherwise`)",
    ]);
  });

  test("a loop with an exit, and a node without outgoing edges (terminal), are fine", () => {
    expect(codes(`node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a when n > 1 max 3\nedge b -> end otherwise\n${RETURN}`)).toEqual([]);
    expect(codes(`node a {}\nnode quiet {}\nedge start -> a\nedge a -> quiet when n > 1\nedge a -> end otherwise\n${RETURN}`)).toEqual([]);
  });
});

describe("cycles (AWR4003)", () => {
  test("a cycle without max is reported on the edge that closes it, with a fix", () => {
    const text = `graph g() -> int {\nnode draft {}\nnode review {}\nedge start -> draft\nedge draft -> review\nedge review -> draft when 1 > 0\nedge review -> end otherwise\nreturn 1\n}`;
    const p = programOf(text);
    const ds = analyzeGraph(p, FILE, graphOf(p));
    expect(render(p, ds)).toEqual([
      "AWR4003 6:1 edge review -> draft when 1 > 0 | the cycle draft → review → draft has no bound: add `max N` to one of its edges (e.g. this one)",
    ]);
    const fix = ds[0]!.fixes![0]!;
    expect(fix.kind === "insert" && text.slice(0, fix.offset) + fix.text + text.slice(fix.offset)).toContain(
      "edge review -> draft when 1 > 0 max 3\n",
    );
  });

  test("a bounded cycle, a self loop", () => {
    expect(codes(`node a {}\nedge start -> a\nedge a -> a when n > 0 max 5\nedge a -> end otherwise\n${RETURN}`)).toEqual([]);
    expect(codes(`node a {}\nedge start -> a\nedge a -> a when n > 0\nedge a -> end otherwise\n${RETURN}`)).toEqual([
      "AWR4003 edge a -> a when n > 0",
    ]);
  });

  test("a cycle through `on error`", () => {
    expect(codes(`node a { run x() on error -> fix }\nnode fix {}\nedge start -> a\nedge a -> end\nedge fix -> a\n${RETURN}`)).toEqual([
      "AWR4003 edge fix -> a",
    ]);
  });
});

describe("parallel writes (AWR4004)", () => {
  const STATE = `state { out: string? \n log: list<string> @reduce(append) = [] }`;

  test("two nodes of one fan-out write a replace field", () => {
    const out = check(`${STATE}\nnode a { run p() -> out }\nnode b { set out = "b" }\nedge start -> [a, b]\nedge a -> end\nedge b -> end\n${RETURN}`);
    expect(out).toEqual([
      "AWR4004 5:14 out | nodes \"a\" and \"b\" can run in the same superstep and both write \"out\", whose reducer is `replace`: make their edges exclusive (`when` / `otherwise`) or give \"out\" a reducer such as @reduce(append)",
    ]);
  });

  test("three writers of one fan-out: one finding per later writer", () => {
    const src = `${STATE}\nnode a { set out = "a" }\nnode b { set out = "b" }\nnode c { set out = "c" }\nedge start -> [a, b, c]\n${RETURN}`;
    expect(check(src).map((l) => l.replace(/, whose.*$/, ""))).toEqual([
      "AWR4004 5:14 out | nodes \"a\" and \"b\" can run in the same superstep and both write \"out\"",
      "AWR4004 6:14 out | nodes \"a\", \"b\" and \"c\" can run in the same superstep and all write \"out\"",
    ]);
  });

  test("a field with a reducer may be written in parallel", () => {
    expect(codes(`${STATE}\nnode a { run p() -> log }\nnode b { run p() -> log }\nedge start -> [a, b]\nedge a -> end\nedge b -> end\n${RETURN}`)).toEqual([]);
  });

  test("`when` / `otherwise` branches are exclusive", () => {
    expect(codes(`${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b otherwise\n${RETURN}`)).toEqual([]);
  });

  test("two `when` edges can both fire, unless their conditions exclude each other", () => {
    const both = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b when n < 5\n${RETURN}`;
    expect(codes(both)).toEqual(["AWR4004 out"]);
    const negated = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b when !(n > 1)\n${RETURN}`;
    expect(codes(negated)).toEqual([]);
    const literals = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == 1\nedge start -> b when n == 2\n${RETURN}`;
    expect(codes(literals)).toEqual([]);
    const enums = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == low\nedge start -> b when n == high\n${RETURN}`;
    expect(codes(enums)).toEqual([]);
    const variables = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == out\nedge start -> b when n == log\n${RETURN}`;
    expect(codes(variables)).toEqual(["AWR4004 out"]);
  });

  test("branches of a fan-out meet later: nodes at the same depth conflict", () => {
    const src = `${STATE}\nnode a {}\nnode b {}\nnode c { run p() -> out }\nnode d { run p() -> out }\nedge start -> [a, b]\nedge a -> c\nedge b -> d\n${RETURN}`;
    expect(codes(src)).toEqual(["AWR4004 out"]);
  });

  test("nodes in sequence, or on branches of different lengths, do not conflict", () => {
    const seq = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a\nedge a -> b\n${RETURN}`;
    expect(codes(seq)).toEqual([]);
    const skew = `${STATE}\nnode a { run p() -> out }\nnode b {}\nnode c { run p() -> out }\nedge start -> [a, b]\nedge b -> c\n${RETURN}`;
    expect(codes(skew)).toEqual([]);
  });

  test("an `on error` handler runs beside the failed node's siblings", () => {
    const src = `${STATE}\nnode a { run p() on error -> h }\nnode b { run p() -> out }\nnode h { set out = "failed" }\nedge start -> [a, b]\nedge b -> c2\nnode c2 {}\n${RETURN}`;
    expect(codes(src)).toEqual([]);
    const clash = `${STATE}\nnode a { run p() on error -> h }\nnode b {}\nnode b2 { run p() -> out }\nnode h { set out = "failed" }\nedge start -> [a, b]\nedge b -> b2\n${RETURN}`;
    expect(codes(clash)).toEqual(["AWR4004 out"]);
  });
});

describe("`!` on a field nothing writes (AWR4005)", () => {
  test("reported where asserted", () => {
    const out = check(`state { x: string?\n y: string? }\nnode a { run p(x!) -> y }\nedge start -> a\nedge a -> end when x! == "z"\nreturn y!`);
    expect(out).toEqual([
      "AWR4005 4:16 x! | `x!` asserts a value, but no node writes state field \"x\" and it has no default",
      "AWR4005 6:20 x! | `x!` asserts a value, but no node writes state field \"x\" and it has no default",
    ]);
  });

  test("a written field, a field with a default, a parameter, a map variable", () => {
    const src = `state { x: string?\n d: int? = 3\n items: list<string> = [] }\nnode a { set x = "v"\n run p(x!, d!, n!) -> x }\nnode b { map x in items run p(x!) -> items }\nedge start -> a\nedge a -> b\nreturn x!`;
    expect(codes(src)).toEqual([]);
  });

  test("a null default is no default", () => {
    expect(codes(`state { x: string? = null }\nnode a {}\nedge start -> a\nreturn x!`)).toEqual(["AWR4005 x!"]);
  });
});

describe("return and node bodies (AWR4008, AWR4009)", () => {
  test("a declared return type needs a return", () => {
    expect(check(`node a {}\nedge start -> a`)).toEqual([
      "AWR4008 1:7 g | graph \"g\" declares a return type but has no `return`",
    ]);
    expect(codes(`node a {}\nedge start -> a`, "graph g(n: int)")).toEqual([]);
  });

  test("a node with two retries", () => {
    expect(codes(`node a { run p()\n retry 2\n retry 3 }\nedge start -> a\n${RETURN}`)).toEqual(["AWR4009 retry 3"]);
  });
});
