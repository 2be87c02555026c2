// Attack: an import climbs out of the project (`import "../../outside/types"`): the compiler read
// and compiled any .awr file on the machine it could name. Now it is AWR2013 before the file is
// read; the project root is the nearest directory above the entry holding package.json or .git.
import { afterAll, describe, expect, it } from "vitest";
import { errorsOf, scratch } from "./paths-helpers.js";

const s = scratch();
afterAll(() => s.remove());
s.write(`${s.outside}/types.awr`, "type Secret { a: string }\n");
s.write(`${s.project}/lib/shared.awr`, 'import "../../outside/types"\ntype Shared { a: string }\n');
const main = s.write(`${s.project}/src/main.awr`, 'import "../../outside/types"\nimport "../lib/shared"\ngraph g(x: Secret) -> string {\n  node n { set y = x.a }\n  state { y: string? }\n  edge start -> n\n  edge n -> end\n  return y ?? ""\n}\n');

describe("an import outside the project", () => {
  it("is AWR2013 (from the entry and from a module it imports), naming the file and the root", () => {
    const errs = errorsOf(main).filter((e) => e.code === "AWR2013");
    expect(errs).toHaveLength(2);
    expect(errs[0]!.message).toContain(`resolves to ${s.outside}/types.awr, outside the project root ${s.project}`);
  });

  it("an import from src/ into ../lib stays inside the project (its root is package.json's directory)", () => {
    expect(errorsOf(main).some((e) => e.message.includes("../lib/shared"))).toBe(false);
  });

  it("AWR_ALLOW_PATHS (allowPaths) admits the outside directory", () => {
    expect(errorsOf(main, [s.outside])).toEqual([]);
  });
});
