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
/** Ends for nodes a and b, and the return. */
const ENDS = "edge a -> end\nedge b -> end\nreturn 1";

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
    expect(codes(`node a { run x() on error -> handlr }\nnode handler {}\nedge start -> a\nedge a -> end\nedge handler -> end\n${RETURN}`)).toEqual([
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
    const out = check(`node a {}\nnode b {}\nnode c {}\nedge start -> a\nedge a -> b when n > 1\nedge a -> c otherwise\nedge a -> end otherwise\nedge [b, c] -> end\n${RETURN}`);
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
    expect(check(`node a {}\nnode lost {}\nedge start -> a\nedge a -> end\nedge lost -> end\n${RETURN}`)).toEqual([
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

  test("a loop with an exit is fine", () => {
    expect(codes(`node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a when n > 1 max 3\nedge b -> end otherwise\n${RETURN}`)).toEqual([]);
  });
});

describe("explicit ends (AWR4012, AWR4013)", () => {
  test("a node without outgoing edge is an error, with a fix that ends its branch", () => {
    const text = `graph g(n: int) -> int {\n  node a {}\n  node quiet { set x = 1 }\n  edge start -> a\n  edge a -> quiet when n > 1\n  edge a -> end otherwise\n  return 1\n}`;
    const p = programOf(text);
    const ds = analyzeGraph(p, FILE, graphOf(p));
    expect(render(p, ds)).toEqual([
      "AWR4012 3:8 quiet | node \"quiet\" has no outgoing edge: say where the run goes after it, e.g. `edge quiet -> end`",
    ]);
    const fix = ds[0]!.fixes![0]!;
    expect(fix.kind === "insert" && text.slice(0, fix.offset) + fix.text + text.slice(fix.offset)).toContain(
      "  node quiet { set x = 1 }\n  edge quiet -> end\n  edge start -> a\n",
    );
  });

  test("an `on error` route is not an outgoing edge", () => {
    expect(codes(`node a { run p() on error -> h }\nnode h {}\nedge start -> a\nedge h -> end\n${RETURN}`)).toEqual(["AWR4012 a"]);
  });

  test("`when` edges that can all be false, without `otherwise`: a warning with a fix", () => {
    const text = `graph g(n: int) -> int {\n  node a {}\n  node b {}\n  edge start -> a\n  edge a -> b when n > 10\n  edge a -> end when n < 0\n  edge b -> end\n  return 1\n}`;
    const p = programOf(text);
    const ds = analyzeGraph(p, FILE, graphOf(p));
    expect(render(p, ds)).toEqual([
      "AWR4013 6:3 edge a -> end when n < 0 | the conditions of the edges leaving \"a\" can all be false, and no `otherwise` edge leaves it: the branch would stop there. Add `edge a -> end otherwise` or cover every case",
    ]);
    expect(ds[0]!.severity).toBe("warning");
    const fix = ds[0]!.fixes![0]!;
    expect(fix.kind === "insert" && text.slice(0, fix.offset) + fix.text + text.slice(fix.offset)).toContain(
      "  edge a -> end when n < 0\n  edge a -> end otherwise\n",
    );
  });

  test("exhaustive conditions need no `otherwise`: numbers, bools, enums (also through `!` and `in`)", () => {
    const header = `enum P { low, normal, high }\ntype T { p: P, score: float }\ngraph g(n: int, ok: bool, t: T?) -> int`;
    const body = (conds: string[]) =>
      `node a {}\nnode b {}\nedge start -> a\n${conds.map((c, i) => `edge a -> ${i ? "end" : "b"} when ${c}`).join("\n")}\nedge b -> end\n${RETURN}`;
    expect(codes(body(["n < 5", "n >= 5"]), header)).toEqual([]);
    expect(codes(body(["ok", "!ok"]), header)).toEqual([]);
    expect(codes(body(["t!.p == low || t!.p == normal", "t!.p in [high]"]), header)).toEqual([]);
    expect(codes(body(["t!.score < 0.6 && ok", "t!.score >= 0.6 || !ok"]), header)).toEqual([]);
    expect(codes(body(["n < 5", "n > 5"]), header)).toEqual(["AWR4013 edge a -> end when n > 5"]);
    expect(codes(body(["t!.p == low", "t!.p in [high]"]), header)).toEqual(["AWR4013 edge a -> end when t!.p in [high]"]);
  });

  test("a spent `max` edge counts as false", () => {
    const src = `node a {}\nnode b {}\nedge start -> a\nedge a -> b\nedge b -> a when !ok max 3\nedge b -> end when ok\n${RETURN}`;
    expect(codes(src, "graph g(ok: bool) -> int")).toEqual(["AWR4013 edge b -> end when ok"]);
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
    const src = `${STATE}\nnode a { set out = "a" }\nnode b { set out = "b" }\nnode c { set out = "c" }\nedge start -> [a, b, c]\nedge [a, b, c] -> end\n${RETURN}`;
    expect(check(src).map((l) => l.replace(/, whose.*$/, ""))).toEqual([
      "AWR4004 5:14 out | nodes \"a\" and \"b\" can run in the same superstep and both write \"out\"",
      "AWR4004 6:14 out | nodes \"a\", \"b\" and \"c\" can run in the same superstep and all write \"out\"",
    ]);
  });

  test("a field with a reducer may be written in parallel", () => {
    expect(codes(`${STATE}\nnode a { run p() -> log }\nnode b { run p() -> log }\nedge start -> [a, b]\nedge a -> end\nedge b -> end\n${RETURN}`)).toEqual([]);
  });

  test("`when` / `otherwise` branches are exclusive", () => {
    expect(codes(`${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b otherwise\nedge a -> end\nedge b -> end\n${RETURN}`)).toEqual([]);
  });

  test("two `when` edges can both fire, unless their conditions exclude each other", () => {
    const both = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b when n < 5\n${ENDS}`;
    expect(codes(both)).toEqual(["AWR4004 out"]);
    const negated = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n > 1\nedge start -> b when !(n > 1)\n${ENDS}`;
    expect(codes(negated)).toEqual([]);
    const literals = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == 1\nedge start -> b when n == 2\nedge start -> end otherwise\n${ENDS}`;
    expect(codes(literals)).toEqual([]);
    const enums = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == low\nedge start -> b when n == high\n${ENDS}`;
    expect(codes(enums, `enum R { low, high }\ngraph g(n: R) -> string`)).toEqual([]);
    const variables = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a when n == out\nedge start -> b when n == log\nedge start -> end otherwise\n${ENDS}`;
    expect(codes(variables)).toEqual(["AWR4004 out"]);
  });

  test("exclusive enum routes writing one replace field check clean (conjunctions, `in`, ranges)", () => {
    const header = `enum Priority { low, normal, high }\ntype Triage { priority: Priority, n: int }\ngraph g(ticket: string) -> string`;
    const src = (a: string, b: string) =>
      `state { triage: Triage?\n out: string? }\nnode t { run p() -> triage }\nnode a { run p() -> out }\nnode b { set out = "b" }\nedge start -> t\nedge t -> a when ${a}\nedge t -> b when ${b}\nedge t -> end otherwise\nedge a -> end\nedge b -> end\nreturn out!`;
    expect(check(src("triage!.priority == low && triage!.n < 1000", "triage!.priority == high"), header)).toEqual([]);
    expect(check(src("triage?.priority in [low, normal]", "triage!.priority == high"), header)).toEqual([]);
    expect(check(src("triage!.n < 10", "10 <= triage!.n"), header)).toEqual([]);
    // both can hold (a low priority below 10): the conflict stays
    expect(codes(src("triage!.priority == low", "triage!.n < 10"), header)).toEqual(["AWR4004 out"]);
    // `!=` holds on null: no exclusion between `x != low` and `x == null`
    expect(codes(src("triage?.priority != low", "triage?.priority == null"), header)).toEqual(["AWR4004 out"]);
  });

  test("groups firing after one superstep read one state: their exclusive conditions exclude each other", () => {
    const src = `state { out: string? }\nnode x {}\nnode y {}\nnode a { set out = "a" }\nnode b { set out = "b" }\nedge start -> [x, y]\nedge x -> a when n > 3\nedge x -> end otherwise\nedge y -> b when n <= 3\nedge y -> end otherwise\nedge a -> end\nedge b -> end\n${RETURN}`;
    expect(codes(src)).toEqual([]);
  });

  test("branches of a fan-out meet later: nodes at the same depth conflict", () => {
    const src = `${STATE}\nnode a {}\nnode b {}\nnode c { run p() -> out }\nnode d { run p() -> out }\nedge start -> [a, b]\nedge a -> c\nedge b -> d\nedge c -> end\nedge d -> end\n${RETURN}`;
    expect(codes(src)).toEqual(["AWR4004 out"]);
  });

  test("nodes in sequence, or on branches of different lengths, do not conflict", () => {
    const seq = `${STATE}\nnode a { run p() -> out }\nnode b { run p() -> out }\nedge start -> a\nedge a -> b\nedge b -> end\n${RETURN}`;
    expect(codes(seq)).toEqual([]);
    const skew = `${STATE}\nnode a { run p() -> out }\nnode b {}\nnode c { run p() -> out }\nedge start -> [a, b]\nedge b -> c\nedge a -> end\nedge c -> end\n${RETURN}`;
    expect(codes(skew)).toEqual([]);
  });

  test("an `on error` handler runs beside the failed node's siblings", () => {
    const src = `${STATE}\nnode a { run p() on error -> h }\nnode b { run p() -> out }\nnode h { set out = "failed" }\nedge start -> [a, b]\nedge b -> c2\nnode c2 {}\nedge [a, c2] -> end\nedge h -> end\n${RETURN}`;
    expect(codes(src)).toEqual([]);
    const clash = `${STATE}\nnode a { run p() on error -> h }\nnode b {}\nnode b2 { run p() -> out }\nnode h { set out = "failed" }\nedge start -> [a, b]\nedge b -> b2\nedge a -> end\nedge b2 -> end\nedge h -> end\n${RETURN}`;
    expect(codes(clash)).toEqual(["AWR4004 out"]);
  });
});

describe("`!` on a field nothing writes (AWR4005)", () => {
  test("reported where asserted", () => {
    const out = check(`state { x: string?\n y: string? }\nnode a { run p(x!) -> y }\nedge start -> a\nedge a -> end when x! == "z"\nedge a -> end otherwise\nreturn y!`);
    expect(out).toEqual([
      "AWR4005 4:16 x! | `x!` asserts a value, but no node writes state field \"x\" and it has no default",
      "AWR4005 6:20 x! | `x!` asserts a value, but no node writes state field \"x\" and it has no default",
    ]);
  });

  test("a written field, a field with a default, a parameter, a map variable", () => {
    const src = `state { x: string?\n d: int? = 3\n items: list<string> = [] }\nnode a { set x = "v"\n run p(x!, d!, n!) -> x }\nnode b { map x in items run p(x!) -> items }\nedge start -> a\nedge a -> b\nedge b -> end\nreturn x!`;
    expect(codes(src)).toEqual([]);
  });

  test("a null default is no default", () => {
    expect(codes(`state { x: string? = null }\nnode a {}\nedge start -> a\nedge a -> end\nreturn x!`)).toEqual(["AWR4005 x!"]);
  });
});

describe("return and node bodies (AWR4008, AWR4009)", () => {
  test("a declared return type needs a return", () => {
    expect(check(`node a {}\nedge start -> a\nedge a -> end`)).toEqual([
      "AWR4008 1:7 g | graph \"g\" declares a return type but has no `return`",
    ]);
    expect(codes(`node a {}\nedge start -> a\nedge a -> end`, "graph g(n: int)")).toEqual([]);
  });

  test("a node with two retries", () => {
    expect(codes(`node a { run p()\n retry 2\n retry 3 }\nedge start -> a\nedge a -> end\n${RETURN}`)).toEqual(["AWR4009 retry 3"]);
  });
});
