import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { graphToDot, graphToMermaid } from "../../compiler/analysis/export.js";
import { analyzeGraph } from "../../compiler/analysis/graph.js";
import { expectGolden } from "../helpers/golden.js";
import { graphOf, programOf } from "./helpers.js";

const here = (p: string) => new URL(p, import.meta.url).pathname;

function load(name: string) {
  const text = readFileSync(here(`fixtures/${name}.awr`), "utf8");
  const p = programOf(text);
  return { graph: graphOf(p), text };
}

describe("graph export", () => {
  test("Mermaid (golden)", () => {
    const { graph, text } = load("review");
    expectGolden(here("golden/review.mmd"), graphToMermaid(graph, text));
  });

  test("DOT (golden)", () => {
    const { graph, text } = load("review");
    expectGolden(here("golden/review.dot"), graphToDot(graph, text));
  });

  test("deterministic, and without the source text conditions are printed from the AST", () => {
    const { graph, text } = load("review");
    expect(graphToMermaid(graph, text)).toBe(graphToMermaid(graph, text));
    expect(graphToMermaid(graph)).toBe(graphToMermaid(graph, text));
    expect(graphToDot(graph)).toBe(graphToDot(graph, text));
  });

  test("labels are escaped", () => {
    const text = `graph g(s: string) {\nnode a {}\nedge start -> a when s == "<\\"x\\">"\n}`;
    const graph = graphOf(programOf(text));
    expect(graphToMermaid(graph, text)).toContain(`__start -->|"when s == #34;#60;\\#34;x\\#34;#62;#34;"| n_a`);
    expect(graphToDot(graph, text)).toContain(`"__start" -> "n_a" [label="when s == \\"<\\\\\\"x\\\\\\">\\""];`);
  });
});

test("the export fixture is itself a clean graph", () => {
  const text = readFileSync(here("fixtures/review.awr"), "utf8");
  const p = programOf(text);
  expect(analyzeGraph(p, "/main.awr", graphOf(p))).toEqual([]);
});
