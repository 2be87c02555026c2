// Test blocks run the production path: `awr test` on the programs of fixtures/production-path, each
// a user's `.awr` file with its test blocks. Mocks answer at the provider boundary, so model hooks,
// validation, retries, the agent loop, tool policies and audit records all run; a test's principal
// is the run's; an `on error` handler reads `error`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../cli/io.js";
import { main } from "../../cli/main.js";
import { runTests } from "../../vm/testing.js";
import { planOf, noTools } from "./helpers.js";

const DIR = join(import.meta.dirname, "fixtures", "production-path");

async function awrTest(file: string): Promise<{ code: number; out: string }> {
  const io: CliIo & { out: string } = {
    out: "",
    cwd: DIR,
    env: {},
    stdout: { color: false, write: (t: string) => void (io.out += t) },
    stderr: { color: false, write: (t: string) => void (io.out += t) },
  };
  const code = await main(["test", file], io);
  return { code, out: io.out };
}

describe("awr test runs test blocks through the production path", () => {
  it.each([
    ["redaction.awr", 2],
    ["principal.awr", 2],
    ["agent.awr", 4],
    ["on-error.awr", 2],
  ])("%s: every test block passes", async (file, n) => {
    const r = await awrTest(file);
    expect(r.out.trimEnd().split("\n").pop(), r.out).toBe(`${n} passed, 0 failed`);
    expect(r.code).toBe(0);
  });
});

describe("what a test block sees", () => {
  it("an expectation that contradicts the production path fails (the mock no longer skips after model)", async () => {
    const plan = planOf(`
model m { provider: "openai" name: "x" timeout: 5s }
prompt write(to: string) -> string { model: m user #"Write to {{ to }}"# }
policy privacy { after model { redact email } }
graph mail(to: string) -> string {
  state { text: string? }
  node compose { run write(to) -> text }
  edge start -> compose
  edge compose -> end
  return text!
}
test the_raw_mock_would_leak { run mail(to: "a@b.co") mock write => "to a@b.co" expect output == "to a@b.co" }
`);
    const [r] = await runTests(plan, { tools: noTools });
    expect(r!.ok).toBe(false);
    expect(r!.expects[0]!.detail).toBe('output is "to [REDACTED:email]", "to a@b.co" is "to a@b.co"');
  });

  it("a mocked prompt answer that does not fit takes the next answer as its repair round-trip", async () => {
    const plan = planOf(`
model m { provider: "openai" name: "x" timeout: 5s }
type Score { value: float @min(0) @max(1) }
prompt rate(text: string) -> Score { model: m user #"{{ text }}"# }
graph g(text: string) -> float {
  state { score: Score? }
  node judge { run rate(text) -> score }
  edge start -> judge
  edge judge -> end
  return score!.value
}
test repaired { run g(text: "x") mock rate => { value: 7 } then { value: 0.5 } expect output == 0.5 }
test still_wrong { run g(text: "x") mock rate => { value: 7 } expect status == "failed" expect error.kind == "schema" }
`);
    const [repaired, wrong] = await runTests(plan, { tools: noTools });
    expect(repaired!.ok, repaired!.error).toBe(true);
    expect(wrong!.ok, JSON.stringify(wrong!.expects)).toBe(true);
    expect(wrong!.error).toMatch(/^schema: the mocked answer of rate does not fit its type \(model m, after one repair\)/);
  });

  it("the default principal is test, without roles", async () => {
    const plan = planOf(`
tool t() -> string { impl: js("./t.mjs#t") }
policy p { before tool t { deny when principal.id != "test" || len(principal.roles) != 0 because "not the default" } }
graph g() -> string {
  state { s: string? }
  node n { run t() -> s }
  edge start -> n
  edge n -> end
  return s!
}
test default_principal { run g() mock t => "ok" expect output == "ok" }
`);
    const [r] = await runTests(plan, { tools: noTools });
    expect(r!.ok, r!.error).toBe(true);
  });
});
