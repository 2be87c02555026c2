// `awr context query` and `awr context build`, run as a user would (the built CLI).
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../vm/store/sqlite.js";
import { ROOT, awr } from "../helpers/awr-cli.js";
import { askProgram, tempDir, type TempDir } from "./helpers.js";

const EXAMPLE = join(ROOT, "examples", "multi-agent-handoff");

let tmp: TempDir | undefined;
afterEach(() => {
  tmp?.cleanup();
  tmp = undefined;
});

describe("awr context", () => {
  it("shows what the example's help_center context assembles, offline", async () => {
    tmp = tempDir();
    const r = await awr(["context", "query", "help_center", "why is my first invoice higher?", "--file", join(EXAMPLE, "main.awr"), "--index", tmp.dir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe('context help_center · query "why is my first invoice higher?"');
    expect(lines[1]).toMatch(/^sources: articles \(vector, 3 documents, 3 chunks, 3 embedded now, 3 hits\), macros \(keyword, \d+ documents, \d+ hits\)$/);
    // The FAQ macro that answers the question and the billing article are the two first places.
    expect(r.stdout).toMatch(/^ {2}1 {2}0\.0164 +\d+ {2}(articles|macros) +kb\/(billing\.md#0|macros\.jsonl:5) +\1 #1$/m);
    expect(r.stdout).toMatch(/^ {2}2 {2}0\.0164 +\d+ {2}(articles|macros) +kb\/(billing\.md#0|macros\.jsonl:5) +\1 #1$/m);
    expect(r.stdout).toContain("q: Why is my first invoice higher? a: The first invoice after a plan change is prorated");
    expect(r.stdout).toMatch(/^\d+ items, \d+ tokens of 1500 \(cl100k_base\)$/m);

    // The index is now on disk: a second query embeds nothing but the query.
    const again = await awr(["context", "query", "help_center", "roaming in Switzerland", "-f", join(EXAMPLE, "main.awr"), "--index", tmp.dir, "--json"]);
    expect(again.code).toBe(0);
    const a = JSON.parse(again.stdout);
    expect(a.sources[0].build).toMatchObject({ loaded: true, embedded: 0, chunks: 3 });
    expect(a.items[0].text).toContain("Switzerland");
    expect(a.tokens).toBeLessThanOrEqual(1500);
    expect(Object.keys(a.items[0])).toEqual(["source", "id", "score", "ranks", "scores", "tokens", "text"]);
  });

  it("finds main.awr in the working directory and explains every drop", async () => {
    tmp = tempDir({
      "main.awr": `context kb {
  source docs = vector("./kb/*.md") { chunk: 200, overlap: 0 }
  source faq = keyword("./faq.jsonl") { fields: ["q"] }
  fuse: rrf
  top: 3
  budget: 60
  dedup: 0.9
}
`,
      "kb/refunds.md": "Refunds reach the original payment method within five to seven business days after the return arrives.",
      "kb/refunds-copy.md": "REFUNDS REACH THE ORIGINAL PAYMENT METHOD WITHIN 5 TO SEVEN BUSINESS DAYS AFTER THE RETURN ARRIVES.",
      "kb/exchanges.md": "Exchanges for another size are free within 30 days of delivery, from the order page of the shop.",
      "kb/shipping.md": "Standard shipping takes two to four business days; express shipping arrives the next business day.",
      "kb/warranty.md": "Every device has a two-year warranty covering manufacturing defects, but not drops or water damage.",
      "faq.jsonl": `${JSON.stringify({ q: "How long do refunds take?", a: "Five to seven business days." })}\n`,
    });
    const r = await awr(["context", "query", "kb", "how long do refunds take"], { cwd: tmp.dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const dropped = r.stdout.slice(r.stdout.indexOf("dropped:\n"));
    expect(dropped).toMatch(/kb\/refunds(-copy)?\.md#0 +dedup: 0\.9\d\d similar to kb\/refunds(-copy)?\.md#0 \(threshold 0\.9\)/);
    expect(dropped).toMatch(/ {2}top: fused rank 4, top is 3$/m);
    expect(dropped).toMatch(/ {2}budget: needs \d+ tokens, \d+ of 60 left$/m);
    expect(r.stdout).toMatch(/^\d items?, \d+ tokens of 60 \(cl100k_base\)$/m);
    // The index went to .awr/index beside the default run store.
    const build = await awr(["context", "build", "kb"], { cwd: tmp.dir });
    expect(build.stdout).toBe("docs: 5 documents, 5 chunks; index loaded; up to date\n");
    tmp.write("kb/shipping.md", "Standard shipping now takes one to three business days.");
    const rebuilt = await awr(["context", "build", "kb"], { cwd: tmp.dir });
    expect(rebuilt.stdout).toBe("docs: 5 documents, 5 chunks; index loaded; embedded 1 chunk (documents: 0 added, 1 changed, 0 removed)\n");
    // --text prints what the agent receives.
    const text = await awr(["context", "query", "kb", "warranty water damage", "--text"], { cwd: tmp.dir });
    expect(text.stdout.startsWith("[docs: kb/warranty.md#0]\nEvery device has a two-year warranty")).toBe(true);
  });

  it("reports user mistakes in one line, without a stack", async () => {
    tmp = tempDir();
    const file = join(EXAMPLE, "main.awr");
    const unknown = await awr(["context", "query", "help_centre", "x", "-f", file, "--index", tmp.dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`error: no context "help_centre" in examples/multi-agent-handoff/main.awr\nhint: did you mean "help_center"?\n`);
    const noText = await awr(["context", "query", "help_center", "-f", file]);
    expect(noText.code).toBe(2);
    expect(noText.stderr).toMatch(/^error: missing query text\n/);
    const badSub = await awr(["context", "ask", "help_center"]);
    expect(badSub.stderr).toMatch(/^error: unknown subcommand "ask"\n/);
    const badEmbedder = await awr(["context", "query", "help_center", "x", "-f", file, "--embedder", "bert"]);
    expect(badEmbedder.stderr).toBe('error: unknown --embedder "bert"\nhint: use local or openai:<model>, e.g. openai:text-embedding-3-small\n');
    tmp.write("main.awr", 'context kb {\n  source rows = structured("./rows.jsonl") { key: "id" }\n}\n');
    tmp.write("rows.jsonl", "{broken\n");
    const bad = await awr(["context", "query", "kb", "x"], { cwd: tmp.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: context kb: source rows: rows\.jsonl:1 is not valid JSON: .*\n$/);
  });
});

describe("awr run and awr context with cross-session memory and summaries", () => {
  const PROGRAM = `model fast { provider: "openai" name: "gpt-test" timeout: 5s }
type Reply { text: string }
prompt condense(text: string) -> string {
  model: fast
  user #"Condense: {{ text }}"#
}
context past {
  source talks = sessions()
  budget: 30
  summarize: condense
}
${askProgram("memory: past")}`;
  const RECORDED = [
    { caller: "helper", output: { text: "We replace the blender of order O-77 this week." } },
    { caller: "condense", output: "Blender O-77: replacement this week." },
  ]
    .map((r) => JSON.stringify(r))
    .join("\n");

  it("a second session recalls the first through the run store, summarised; awr context query shows the same memory", async () => {
    tmp = tempDir({ "main.awr": PROGRAM, "rec.jsonl": RECORDED });
    const cwd = tmp.dir;
    const run = (session: string, question: string) =>
      awr(["run", "main.awr", "--input", JSON.stringify({ question }), "--session", session, "--principal", '{"id": "alice"}', "--models", "recorded:rec.jsonl", "--store", "runs.db", "--json"], { cwd });
    const first = await run("s1", "My blender O-77 arrived broken");
    expect(first.stderr).toBe("");
    expect(JSON.parse(first.stdout).status).toBe("completed");
    const second = await run("s2", "What happens with my blender?");
    expect(JSON.parse(second.stdout).status).toBe("completed");
    // The second run's memory went over its budget: the summary call is in its trace.
    const store = new SqliteStore(join(cwd, "runs.db"));
    try {
      const journal = store.load(JSON.parse(second.stdout).runId)!.journal;
      const summary = journal.find((e) => e.key.endsWith("/memory0/summary/fast@0") && e.phase === "outcome");
      expect(summary?.value).toMatchObject({ output: "Blender O-77: replacement this week." });
    } finally {
      store.close();
    }

    // The same memory, offline: Alice's two sessions; the budget drops one and warns that the summary was not made.
    const q = await awr(["context", "query", "past", "blender", "--store", "runs.db", "--principal", "alice"], { cwd });
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/^sources: talks \(sessions, 2 documents, 2 hits\)$/m);
    expect(q.stdout).toContain("nothing assembled: everything found was dropped (below)");
    expect(q.stdout).toMatch(/^ {2}s1#0 +budget: needs \d+ tokens, 30 of 30 left$/m);
    expect(q.stderr).toBe("warning: summarize: prompt condense was not called: no model provider (awr context query --models); the text is trimmed to the budget\n");
    // As a run of session s2 (left out), with the recorded models: the summary is made.
    const s = await awr(["context", "query", "past", "blender", "--store", "runs.db", "--principal", "alice", "--session", "s2", "--models", "recorded:rec.jsonl", "--text"], { cwd });
    expect(s.stderr).toBe("");
    expect(s.stdout).toBe("Blender O-77: replacement this week.\n");
    // Bob has no memory of Alice's sessions.
    const bob = await awr(["context", "query", "past", "blender", "--store", "runs.db", "--principal", "bob", "--json"], { cwd });
    expect(JSON.parse(bob.stdout).items).toEqual([]);
  });
});
