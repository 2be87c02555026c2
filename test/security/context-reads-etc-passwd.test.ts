// Attack: a context source names a file outside the project — `keyword("../../../../etc/passwd")` —
// and the assembler read it into the prompt (the probe saw /etc/passwd in an assembly). Now the
// checker refuses the path (AWR5013) and the runtime refuses every file a source would read
// outside the project root, for plans built elsewhere or edited after the check.
import { afterAll, describe, expect, it } from "vitest";
import { relative } from "node:path";
import { createContextAssembler } from "../../vm/context/assembler.js";
import { contexts, source } from "../context/helpers.js";
import { errorsOf, scratch } from "./paths-helpers.js";

const s = scratch();
afterAll(() => s.remove());
const up = relative(s.project, "/etc/passwd");
const signal = new AbortController().signal;

describe("a context source reading /etc/passwd", () => {
  it("is AWR5013 at check time, naming the path and the project root", () => {
    const main = s.write(`${s.project}/main.awr`, `context kb {\n  source passwd = keyword("${up}")\n}\n`);
    const errs = errorsOf(main);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.code).toBe("AWR5013");
    expect(errs[0]!.message).toContain(`resolves to /etc/passwd, outside the project root ${s.project}`);
    expect(errs[0]!.message).toContain("AWR_ALLOW_PATHS");
  });

  it("is refused at run time: the assembly fails naming the path, nothing of the file is read", async () => {
    const a = createContextAssembler({ plan: contexts({ kb: { sources: [source("passwd", "keyword", up)] } }), root: s.project });
    const err = await a.assemble("kb", "root", signal).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`resolves to /etc/passwd, outside the project root ${s.project}`);
    expect(JSON.stringify(err)).not.toContain("root:x:0:0");
  });

  it("a glob climbing out (../**) finds nothing outside either", async () => {
    s.write(`${s.outside}/secret.md`, "the outside secret");
    const a = createContextAssembler({ plan: contexts({ kb: { sources: [source("all", "keyword", "../outside/*.md")] } }), root: s.project });
    await expect(a.assemble("kb", "secret", signal)).rejects.toThrow(/outside the project root/);
  });

  it("allowPaths lets a source read a directory outside on purpose", async () => {
    s.write(`${s.outside}/shared.md`, "shared knowledge about invoices");
    const a = createContextAssembler({ plan: contexts({ kb: { sources: [source("shared", "keyword", "../outside/shared.md")] } }), root: s.project, allowPaths: [s.outside] });
    const r = await a.assemble("kb", "invoices", signal);
    expect(JSON.stringify(r)).toContain("shared knowledge");
  });
});
