// Context plans and corpora for the context tests, written to a temp directory per test.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ContextPlan, ContextSourcePlan, Plan } from "../../compiler/plan/index.js";

const loc = { file: "main.awr", line: 1, column: 1 };

export function source(name: string, kind: ContextSourcePlan["kind"], arg: string, options: ContextSourcePlan["options"] = {}): ContextSourcePlan {
  return { name, kind, args: [arg], options, loc };
}

export function contexts(defs: Record<string, { sources: ContextSourcePlan[] } & Partial<Omit<ContextPlan, "sources" | "loc" | "summarize">> & { summarize?: string | null }>): Pick<Plan, "contexts"> {
  const out: Plan["contexts"] = {};
  for (const [name, d] of Object.entries(defs)) {
    out[name] = { fuse: "rrf", top: null, budget: null, dedup: null, cache_ms: null, summarize: null, ...d, loc };
  }
  return { contexts: out };
}

export interface TempDir {
  dir: string;
  write(rel: string, text: string): void;
  remove(rel: string): void;
  cleanup(): void;
}

export function tempDir(files: Record<string, string> = {}): TempDir {
  const dir = mkdtempSync(join(tmpdir(), "awr-context-"));
  const t: TempDir = {
    dir,
    write(rel, text) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    },
    remove(rel) {
      rmSync(join(dir, rel));
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const [rel, text] of Object.entries(files)) t.write(rel, text);
  return t;
}

export const signal: AbortSignal = new AbortController().signal;

/** A deterministic PRNG (mulberry32), shared with the other tests. */
export { prng } from "../helpers/prng.js";

/**
 * The agent `helper(question) -> Reply` (its instructions: the question) with `props` (e.g.
 * `context: kb`, `memory: past`, a role), and the graph `ask(question)` that runs it once.
 */
export function askProgram(props: string): string {
  return `agent helper(question: string) -> Reply {
  model: fast
${props
  .split("\n")
  .map((l) => `  ${l}`)
  .join("\n")}
  instructions #"{{ question }}"#
  limits { turns: 3 }
}
graph ask(question: string) -> Reply {
  state { reply: Reply? }
  node answer { run helper(question: question) -> reply }
  edge start -> answer
  edge answer -> end
  return reply!
}
`;
}
