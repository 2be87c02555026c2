import { describe, expect, test } from "vitest";
import { costDiagnostics, explainCost, graphCost, type CostBound } from "../../compiler/analysis/cost.js";
import { FILE, graphOf, programOf, render } from "./helpers.js";

const MODELS = `
model m {
  provider: "openai"
  name: "x"
  max_tokens: 1000
  price { input: 0.15, output: 0.60 }
}
model m_retry {
  name: "y"
  max_tokens: 2000
  retry: 2
  fallback: [m]
  price { input: 1, output: 4 }
}
model m_bare { name: "z" }
model m_free { name: "f", max_tokens: 500 }
prompt p(s: string) -> string { model: m
  user #"{{ s }}"# }
prompt p_retry(s: string) -> string { model: m_retry
  user #"{{ s }}"# }
prompt p_short(s: string) -> string { model: m_retry
  max_tokens: 100
  user #"{{ s }}"# }
prompt p_bare(s: string) -> string { model: m_bare
  user #"{{ s }}"# }
prompt p_free(s: string) -> string { model: m_free
  user #"{{ s }}"# }
tool t(s: string) -> string { impl: js("./t.mjs#t") }
`;

/** The bound of graph `g` (or the named one) with `body`, next to MODELS and `extra` declarations. */
function cost(body: string, extra = "", name = "g"): CostBound {
  const p = programOf(`${MODELS}\n${extra}\ngraph g(s: string, items: list<string> @maxItems(5), loose: list<string>) {\n${body}\n}\n`);
  const c = graphCost(p, graphOf(p, name));
  return { ...c, usd: c.usd === null ? null : Math.round(c.usd * 1e9) / 1e9 };
}

describe("prompts and models", () => {
  test("one call bounded by the model's max_tokens, priced at the higher price", () => {
    expect(cost(`node a { run p(s) }\nedge start -> a`)).toEqual({ modelCalls: 1, tokens: 1000, usd: 0.0006, reasons: [] });
  });

  test("model retries and fallbacks add attempts; the prompt's max_tokens wins over the model's", () => {
    // m_retry: 3 attempts × 2000 tokens × $4/M, then m: 1 × 1000 × $0.6/M
    expect(cost(`node a { run p_retry(s) }\nedge start -> a`)).toEqual({ modelCalls: 4, tokens: 7000, usd: 0.0246, reasons: [] });
    expect(cost(`node a { run p_short(s) }\nedge start -> a`)).toEqual({ modelCalls: 4, tokens: 400, usd: 0.00126, reasons: [] });
  });

  test("a node's retry multiplies its statements", () => {
    expect(cost(`node a { run p(s)\n run p(s)\n retry 2 }\nedge start -> a`)).toEqual({
      modelCalls: 6,
      tokens: 6000,
      usd: 0.0036,
      reasons: [],
    });
  });

  test("no max_tokens: tokens and USD unbounded; no price: USD unbounded", () => {
    expect(cost(`node a { run p_bare(s) }\nedge start -> a`)).toEqual({
      modelCalls: 1,
      tokens: null,
      usd: null,
      reasons: ["node a: prompt p_bare: model m_bare has no max_tokens"],
    });
    expect(cost(`node a { run p_free(s) }\nedge start -> a`)).toEqual({
      modelCalls: 1,
      tokens: 500,
      usd: null,
      reasons: ["node a: prompt p_free: model m_free has no price"],
    });
  });

  test("tools, awaits and sets cost nothing", () => {
    expect(cost(`state { r: string? }\nnode a { run t(s) -> r\n await human("ok") -> r\n set r = "x" }\nedge start -> a`)).toEqual({
      modelCalls: 0,
      tokens: 0,
      usd: 0,
      reasons: [],
    });
  });
});

describe("agents", () => {
  const AGENTS = `
agent helper(s: string) -> string { model: m
  limits { turns: 3, tokens: 5000, cost: 0.01 } }
agent boss(s: string) -> string { model: m_retry
  handoffs: [helper]
  limits { turns: 2, tokens: 4000 } }
agent loose(s: string) -> string { model: m_bare }
agent ping(s: string) -> string { model: m
  handoffs: [pong]
  limits { turns: 1, tokens: 10, cost: 1 } }
agent pong(s: string) -> string { model: m
  handoffs: [ping]
  limits { turns: 1, tokens: 10, cost: 1 } }
`;

  test("limits bound turns × attempts, tokens and USD", () => {
    expect(cost(`node a { run helper(s) }\nedge start -> a`, AGENTS)).toEqual({ modelCalls: 3, tokens: 5000, usd: 0.01, reasons: [] });
  });

  test("a handoff adds the target's bound; without limits.cost, USD = tokens × the chain's top price", () => {
    // boss: 2 turns × 4 attempts; 4000 tokens × $4/M; plus helper
    expect(cost(`node a { run boss(s) }\nedge start -> a`, AGENTS)).toEqual({ modelCalls: 11, tokens: 9000, usd: 0.026, reasons: [] });
  });

  test("an agent without limits, and a handoff cycle, are unbounded", () => {
    expect(cost(`node a { run loose(s) }\nedge start -> a`, AGENTS).reasons).toEqual([
      "node a: agent loose has no limits.turns",
      "node a: agent loose has no limits.tokens",
    ]);
    const c = cost(`node a { run ping(s) }\nedge start -> a`, AGENTS);
    expect(c.modelCalls).toBeNull();
    expect(c.reasons).toEqual(["node a: handoff from ping: handoff from pong: agent ping: handoff cycle ping → pong → ping"]);
  });
});

describe("graph structure", () => {
  test("nodes add up; a loop runs its body 1 + max times", () => {
    const body = `state { ok: bool = false }\nnode draft { run p(s) }\nnode review { run p(s) }\nedge start -> draft\nedge draft -> review\nedge review -> draft when !ok max 3\nedge review -> end otherwise`;
    expect(cost(body)).toMatchObject({ modelCalls: 8, tokens: 8000 });
  });

  test("a loop's exit runs once per entry into the loop, not once per turn", () => {
    // draft and review run 1 + 3 times; `otherwise` leaves the loop, which only one run entered
    const body = `state { ok: bool = false }\nnode draft { run t(s) }\nnode review { run t(s) }\nnode publish { run p(s) }\nedge start -> draft\nedge draft -> review\nedge review -> draft when !ok max 3\nedge review -> publish otherwise\nedge publish -> end`;
    expect(cost(body)).toEqual({ modelCalls: 1, tokens: 1000, usd: 0.0006, reasons: [] });
  });

  test("nested loops: each exit is bounded by the entries of the loop it leaves", () => {
    // the outer loop a → b → c → a (max 3) is entered once; the inner self loop on b (max 2) once
    // per run of a (4): c runs at most 4 times (not 6), finish once (not 6)
    const body = `state { ok: bool = false }\nnode a { run t(s) }\nnode b { run t(s) }\nnode c { run p(s) }\nnode finish { run p(s) }\nedge start -> a\nedge a -> b\nedge b -> b when !ok max 2\nedge b -> c otherwise\nedge c -> a when !ok max 3\nedge c -> finish otherwise\nedge finish -> end`;
    expect(cost(body)).toEqual({ modelCalls: 5, tokens: 5000, usd: 0.003, reasons: [] });
  });

  test("a loop that fans out keeps the bound of its edges (each turn can start a branch)", () => {
    const body = `state { ok: bool = false }\nnode a { run t(s) }\nnode side { run p(s) }\nedge start -> a\nedge a -> [a, side] when !ok max 3\nedge a -> end otherwise\nedge side -> end`;
    expect(cost(body)).toEqual({ modelCalls: 3, tokens: 3000, usd: 0.0018, reasons: [] });
  });

  test("a cycle without max is unbounded", () => {
    const body = `node a { run p(s) }\nedge start -> a\nedge a -> a`;
    expect(cost(body)).toEqual({
      modelCalls: null,
      tokens: null,
      usd: null,
      reasons: ["node a can run without bound (it is on a cycle without `max`)"],
    });
  });

  test("a node that cannot run costs nothing", () => {
    expect(cost(`node a { run p(s) }\nnode b { run p_bare(s) }\nedge start -> a`)).toEqual({ modelCalls: 1, tokens: 1000, usd: 0.0006, reasons: [] });
  });

  test("a sub-graph adds its bound; recursion is unbounded", () => {
    const sub = `graph sub(s: string) {\nnode x { run p(s) }\nedge start -> x\n}\ngraph rec(s: string) {\nnode y { run rec(s) }\nedge start -> y\n}`;
    expect(cost(`node a { run sub(s)\n run sub(s) }\nedge start -> a`, sub)).toMatchObject({ modelCalls: 2, tokens: 2000 });
    expect(cost(`node a { run rec(s) }\nedge start -> a`, sub).reasons).toEqual(["node a: graph rec: node y: graph rec calls itself (rec → rec)"]);
  });
});

describe("map", () => {
  test("over a list literal, or a list with @maxItems (on a parameter or a type field)", () => {
    expect(cost(`node a { map x in ["a", "b", "c"] run p(x) }\nedge start -> a`)).toMatchObject({ modelCalls: 3 });
    expect(cost(`node a { map x in items concurrency 2 run p(x) }\nedge start -> a`)).toMatchObject({ modelCalls: 5 });
    const typed = `type Bag { tags: list<string> @maxItems(4) }\ngraph h(bag: Bag) {\nnode a { map x in bag.tags run p(x) }\nedge start -> a\n}`;
    expect(cost("", typed, "h")).toMatchObject({ modelCalls: 4, tokens: 4000 });
  });

  test("over a list with no known size", () => {
    expect(cost(`node a { map x in loose run p(x) }\nedge start -> a`)).toEqual({
      modelCalls: null,
      tokens: null,
      usd: null,
      reasons: ["node a: map over loose has no known bound (add @maxItems(N) to parameter loose of graph g)"],
    });
    const typed = `type Bag { tags: list<string> }\ngraph h(bag: Bag?) {\nnode a { map x in bag!.tags run p(x) }\nedge start -> a\n}`;
    expect(cost("", typed, "h").reasons).toEqual(["node a: map over bag!.tags has no known bound (add @maxItems(N) to field Bag.tags)"]);
  });

  test("a map of tools costs nothing, bounded or not", () => {
    expect(cost(`node a { map x in loose run t(x) }\nedge start -> a`)).toEqual({ modelCalls: 0, tokens: 0, usd: 0, reasons: [] });
  });
});

describe("reporting", () => {
  const SRC = `${MODELS}
graph g(s: string) {
  node draft { run p(s) }
  node check { run p_bare(s)
    retry 1 }
  edge start -> draft
  edge draft -> check
  edge check -> draft when s == "again" max 2
  edge check -> end otherwise
}
graph ok(s: string) {
  node a { run p(s) }
  edge start -> a
}
`;

  test("AWR7001 names the reasons of an unbounded graph; a bounded graph has none", () => {
    const p = programOf(SRC);
    expect(render(p, costDiagnostics(p, FILE, graphOf(p, "g")))).toEqual([
      "AWR7001 30:7 g | graph \"g\" has no static bound on tokens, USD: node check: prompt p_bare: model m_bare has no max_tokens",
    ]);
    expect(costDiagnostics(p, FILE, graphOf(p, "ok"))).toEqual([]);
  });

  test("explainCost: the total, then each node", () => {
    const p = programOf(SRC);
    expect(explainCost(p, graphOf(p, "g"))).toEqual([
      "graph g: <= 9 model calls, tokens unbounded, USD unbounded",
      "  node draft (runs <= 3, each <= 1 model call, <= 1000 tokens, <= $0.0006): <= 3 model calls, <= 3000 tokens, <= $0.0018",
      "  node check (runs <= 3, each <= 2 model calls, tokens unbounded, USD unbounded): <= 6 model calls, tokens unbounded, USD unbounded",
      "  unbounded: node check: prompt p_bare: model m_bare has no max_tokens",
    ]);
    expect(explainCost(p, graphOf(p, "ok"))).toEqual([
      "graph ok: <= 1 model call, <= 1000 tokens, <= $0.0006",
      "  node a (runs <= 1): <= 1 model call, <= 1000 tokens, <= $0.0006",
    ]);
  });
});

describe("policy classifiers and context summaries", () => {
  const CLASSIFIER = `type Verdict { flagged: bool }
prompt moderate(text: string) -> Verdict { model: m user #"{{ text }}"# }`;

  test("a classifier in a tool hook adds its prompt at every call of a matching tool", () => {
    const policy = `${CLASSIFIER}\npolicy guard { before tool t { deny when moderate(text: input.s).flagged } }`;
    expect(cost(`node a { run t(s)  run t(s) }\nedge start -> a`, policy)).toEqual({ modelCalls: 2, tokens: 2000, usd: 0.0012, reasons: [] });
    // By tag: only tools carrying it.
    const tagged = `${CLASSIFIER}\ntool u(s: string) -> string { impl: js("./t.mjs#u") tags: [crm.read] }\npolicy guard { after tool tagged crm { deny when moderate(text: output).flagged } }`;
    expect(cost(`node a { run t(s)  run u(s) }\nedge start -> a`, tagged).modelCalls).toBe(1);
  });

  test("a classifier in a model hook adds its prompt at every model attempt, but not at its own call", () => {
    const policy = `${CLASSIFIER}\npolicy guard { before model { deny when moderate(text: input.text).flagged } }`;
    // p_retry: 4 attempts (3 on m_retry, 1 on m), each classified once; the classifier's own call is not classified again.
    expect(cost(`node a { run p_retry(s) }\nedge start -> a`, policy).modelCalls).toBe(8);
    // Selected by model name: only the attempts on m.
    const onM = `${CLASSIFIER}\npolicy guard { before model m { deny when moderate(text: input.text).flagged } }`;
    expect(cost(`node a { run p_retry(s) }\nedge start -> a`, onM).modelCalls).toBe(5);
  });

  test("output and agent hooks classify once per run or call; an agent's classified tool calls are unbounded", () => {
    const agent = `agent helper(q: string) -> string { model: m tools: [t] limits { turns: 2 } }`;
    const out = `${CLASSIFIER}\n${agent}\npolicy guard { after output { deny when moderate(text: "x").flagged } }`;
    expect(cost(`node a { run p(s) }\nedge start -> a`, out).modelCalls).toBe(2);
    const onAgent = `${CLASSIFIER}\n${agent}\npolicy guard { before agent helper { deny when moderate(text: input.q).flagged } }`;
    expect(cost(`node a { run helper(s) }\nedge start -> a`, onAgent).modelCalls).toBe(3);
    const onTools = `${CLASSIFIER}\n${agent}\npolicy guard { before tool t { deny when moderate(text: input.s).flagged } }`;
    const c = cost(`node a { run helper(s) }\nedge start -> a`, onTools);
    expect(c.modelCalls).toBeNull();
    expect(c.reasons).toEqual(["node a: agent helper may call t any number of times, and a policy classifies each call"]);
  });

  test("a context's summarize prompt counts once per assembly", () => {
    const ctx = `prompt condense(text: string) -> string { model: m user #"{{ text }}"# }
context kb { source faq = keyword("./faq.jsonl") budget: 100 summarize: condense }
prompt asks(s: string) -> string { model: m context: kb user #"{{ s }} {{ context }}"# }
agent helper(q: string) -> string { model: m context: kb memory: kb limits { turns: 2 } }`;
    expect(cost(`node a { run asks(s) }\nedge start -> a`, ctx).modelCalls).toBe(2);
    expect(cost(`node a { run helper(s) }\nedge start -> a`, ctx).modelCalls).toBe(4);
  });
});
