// Attack: a 20 MB .awr source (generated, or planted in a project): the compiler spent minutes and
// the heap on it, and `awr check` ended in exit 70. Now the parser refuses a file over 2,000,000
// characters before lexing it (AWR1006): exit 1 with the diagnostic, at once.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../compiler/compile.js";
import { parse, MAX_SOURCE_CHARS } from "../../compiler/syntax/parser.js";
import { memoryHost } from "../helpers/memory-host.js";
import { awr } from "../helpers/awr-cli.js";

const decl = (i: number) => `type T${i} { a: string, b: list<int>, c: map<string, float> }\n`;
let text = "";
for (let i = 0; text.length < 20 * 1024 * 1024; i++) text += decl(i);
const dir = mkdtempSync(join(tmpdir(), "awr-sec-src-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a 20 MB source", () => {
  it("is AWR1006 naming its size and the limit, found without lexing it", () => {
    const t0 = performance.now();
    const d = compile(["main.awr"], memoryHost({ "main.awr": text })).diagnostics;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d.map((x) => x.code)).toEqual(["AWR1006"]);
    expect(d[0]!.message).toContain(`over the limit of 2,000,000 for one source file; split it into modules`);
  });

  it("awr check exits 1 with AWR1006, not 70", async () => {
    writeFileSync(join(dir, "main.awr"), text);
    const r = await awr(["check", "main.awr"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("AWR1006");
    expect(r.stdout + r.stderr).not.toContain("internal error");
  });

  it("a file at the limit is parsed as usual", () => {
    const padded = `type A { a: string }\n${"/".repeat(MAX_SOURCE_CHARS - 21)}`;
    expect(padded.length).toBe(MAX_SOURCE_CHARS);
    expect(parse("main.awr", padded).diagnostics.map((x) => x.code)).not.toContain("AWR1006");
  });
});
