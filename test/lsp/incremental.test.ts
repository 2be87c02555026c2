// What an edit costs the language server's session (compiler/session.ts), beyond "equals compile"
// (test/compiler/session.test.ts): graph analyses of untouched graphs are reused after an edit in
// the same file — also when the program has classifier policies, whose hooks every graph's cost
// bound reads, and when the edit moved the graphs after it — and the AWR5013 path checks ask the host about paths only when the disk changed.
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { Session } from "../../compiler/session.js";
import type { SourceHost } from "../../compiler/semantic/program.js";
import { memoryHost } from "../helpers/memory-host.js";

const graph = (i: number) => `
graph g${i}(q: string) -> string {
  state { answer: string? }
  node ask { run ask_model(q) -> answer }
  edge start -> ask
  edge ask -> end
  return answer ?? "none"
}
`;

const HEAD = `model m {
  provider: "openai"
  name: "gpt-4o-mini"
  max_tokens: 100
  price { input: 1, output: 2 }
}

prompt ask_model(q: string) -> string {
  model: m
  user #"{{ q }}"#
}

prompt is_rude(text: string) -> bool {
  model: m
  user #"Is this rude? {{ text }}"#
}
`;

const POLICY = `
policy manners {
  before model {
    deny when is_rude(text: input.text)
  }
}
`;

function program(graphs: number, withPolicy: boolean, unbounded = false) {
  // Without max_tokens every graph's cost is unbounded: an AWR7001 per graph, moved with it.
  let text = (unbounded ? HEAD.replace("  max_tokens: 100\n", "") : HEAD) + (withPolicy ? POLICY : "");
  for (let i = 0; i < graphs; i++) text += graph(i);
  return text;
}

/** Diagnostics as data, for comparison with a from-scratch compile. */
const shape = (ds: readonly { code: string; file: string; span: unknown; message: string }[]) => ds.map((d) => `${d.code} ${d.file} ${JSON.stringify(d.span)} ${d.message}`);

describe("graph analyses after an edit", () => {
  for (const [withPolicy, unbounded] of [[false, false], [true, false], [false, true]] as const) {
    it(`re-analyses only the edited graph of a 30-graph file${withPolicy ? " with a classifier policy" : ""}${unbounded ? " whose graphs all have AWR7001" : ""}, and equals compile`, () => {
      let text = program(30, withPolicy, unbounded);
      const session = new Session(() => memoryHost({}));
      session.setText("main.awr", text);
      const first = session.analyse("main.awr").diagnostics;
      expect(first.filter((d) => d.severity === "error")).toEqual([]);
      expect(first.filter((d) => d.code === "AWR7001").length).toBe(unbounded ? 30 : 0);
      expect(session.analysisStats.analysed).toBe(30);
      // Edits inside the string of graph 20, some changing its length: that graph only is analysed
      // again; the graphs after it moved, and their analyses are reused, moved with them.
      for (const word of ["N", "none, really", "n", "X"]) {
        const before = session.analysisStats.analysed;
        const at = text.indexOf('"', text.indexOf("return answer ??", text.indexOf("graph g20("))) + 1;
        text = text.slice(0, at) + word + text.slice(text.indexOf('"', at));
        session.setText("main.awr", text);
        const got = session.analyse("main.awr").diagnostics;
        expect(session.analysisStats.analysed - before).toBe(1);
        const want = compile(["main.awr"], memoryHost({ "main.awr": text })).diagnostics;
        expect(shape(got)).toEqual(shape(want));
      }
    });
  }

  it("analyses every graph again when a classifier prompt the policy calls changes, and the bound follows it", () => {
    let text = program(3, true);
    const session = new Session(() => memoryHost({}));
    session.setText("main.awr", text);
    expect(session.analyse("main.awr").diagnostics.filter((d) => d.code === "AWR7001")).toEqual([]);
    // The classifier's model loses its max_tokens through a new model: every graph's bound is now open.
    text = text.replace('prompt is_rude(text: string) -> bool {\n  model: m', 'model open { provider: "openai"\n name: "x" }\n\nprompt is_rude(text: string) -> bool {\n  model: open');
    session.setText("main.awr", text);
    const got = session.analyse("main.awr").diagnostics;
    expect(got.filter((d) => d.code === "AWR7001").length).toBe(3);
    expect(shape(got)).toEqual(shape(compile(["main.awr"], memoryHost({ "main.awr": text })).diagnostics));
  });
});

describe("AWR5013 path checks", () => {
  /** The memory host with path answers, counting every question about paths. */
  function countingHost(files: Record<string, string>, asked: string[]): SourceHost {
    return {
      ...memoryHost(files),
      projectRoot: (entry) => (asked.push(`root ${entry}`), "/p"),
      realpath: (file) => (asked.push(`real ${file}`), file),
      allowedPaths: () => (asked.push("allowed"), []),
    };
  }
  const TOOL = (path: string) => `tool t(x: string) -> string {\n  impl: js("${path}#t")\n  timeout: 5s\n}\n\ngraph g(x: string) -> string {\n  node a { run t(x) -> out }\n  state { out: string? }\n  edge start -> a\n  edge a -> end\n  return out ?? x\n}\n`;

  it("asks the host nothing about paths after an edit that adds no path, and again after diskChanged", () => {
    const asked: string[] = [];
    const session = new Session(() => countingHost({}, asked));
    let text = TOOL("./tools.mjs");
    session.setText("/p/main.awr", text);
    expect(session.analyse("/p/main.awr").diagnostics.filter((d) => d.code === "AWR5013")).toEqual([]);
    expect(asked.length).toBeGreaterThan(0);
    asked.length = 0;
    text = text.replace("return out ?? x", "return out ?? \"y\"");
    session.setText("/p/main.awr", text);
    session.analyse("/p/main.awr").diagnostics;
    expect(asked).toEqual([]);
    // A new path is asked about (once); one outside the project is still reported.
    text = text.replace("./tools.mjs", "../elsewhere/tools.mjs");
    session.setText("/p/main.awr", text);
    expect(session.analyse("/p/main.awr").diagnostics.map((d) => d.code)).toContain("AWR5013");
    expect(asked).toEqual(["real /elsewhere/tools.mjs"]);
    asked.length = 0;
    session.diskChanged();
    session.analyse("/p/main.awr").diagnostics;
    expect(asked).toContain("root /p/main.awr");
  });
});
