// `awr check` and the editor check js tools' modules: a missing file (AWR5010) and a missing export
// (AWR5011, with did-you-mean) are diagnostics at the string, found by lexing the module, never by
// running it. CLI tests spawn bin/awr.mjs (dist/ must be built; `npm test` builds first).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awr } from "../helpers/awr-cli.js";
import { FileHost } from "../../host/source-host.js";
import { Workspace } from "../../lsp/workspace.js";
import { pathToUri } from "../../lsp/convert.js";

const MAIN = `type Order { id: string, total: float }

tool lookup_orders(email: string) -> list<Order> {
  impl: js("./tools/crm.mjs#lookupOrder")
  timeout: 5s
}

tool refund(order_id: string) -> bool {
  impl: js("./tools/billing.cjs#refund")
  timeout: 5s
}

graph support(email: string) -> list<Order> {
  state { orders: list<Order> = [], done: bool = false }
  node fetch { run lookup_orders(email: email) -> orders }
  node pay { run refund(order_id: "o1") -> done }
  edge start -> fetch
  edge fetch -> pay
  edge pay -> end
  return orders
}
`;

// Running this module would throw: the check must only lex it.
const CRM = `throw new Error("a module must not be run by awr check");
export async function lookupOrders({ email }) { return []; }
export const version = 1;
`;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "awr-jsmod-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function project(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, "tools"), { recursive: true });
  writeFileSync(join(dir, "main.awr"), MAIN);
  writeFileSync(join(dir, "tools", "crm.mjs"), CRM);
  return dir;
}

interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
}

describe("awr check: js tools' modules", () => {
  it("reports a missing module (AWR5010) and a missing export with did-you-mean (AWR5011) at the string, exit 1", async () => {
    const dir = project("broken");
    const r = await awr(["check", "main.awr", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const ds = (JSON.parse(r.stdout) as JsonDiagnostic[]).filter((d) => d.code.startsWith("AWR501"));
    expect(ds).toEqual([
      {
        file: "main.awr",
        line: 4,
        column: 29,
        endLine: 4,
        endColumn: 40,
        severity: "error",
        code: "AWR5011",
        message: 'js module "./tools/crm.mjs" has no export "lookupOrder"; did you mean "lookupOrders"? (it exports lookupOrders, version)',
      },
      {
        file: "main.awr",
        line: 9,
        column: 13,
        endLine: 9,
        endColumn: 32,
        severity: "error",
        code: "AWR5010",
        message: `js module "./tools/billing.cjs" of tool "refund" does not exist (looked for ${join(dir, "tools", "billing.cjs")})`,
      },
    ]);
    // The human form points at the name inside the string.
    const text = await awr(["check", "main.awr"], { cwd: dir });
    expect(text.stdout).toContain("main.awr:4:29: error AWR5011:");
    expect(text.stdout).toContain('  impl: js("./tools/crm.mjs#lookupOrder")\n  |                             ^^^^^^^^^^^');
  });

  it("is clean once the module exists and exports the name (CommonJS exports found by cjs-module-lexer)", async () => {
    const dir = project("fixed");
    writeFileSync(join(dir, "main.awr"), MAIN.replace("#lookupOrder\"", "#lookupOrders\""));
    writeFileSync(join(dir, "tools", "billing.cjs"), "exports.refund = async () => true;\n");
    const r = await awr(["check", "main.awr", "--json"], { cwd: dir });
    expect(r.stdout.trim()).toBe("[]");
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("the language server: js tools' modules", () => {
  it("reports AWR5011 on the open file and drops it when the module gains the export", () => {
    const dir = project("editor");
    const file = join(dir, "main.awr");
    writeFileSync(join(dir, "tools", "billing.cjs"), "module.exports = { refund: async () => true };\n");
    const ws = new Workspace({ disk: () => new FileHost() });
    ws.setText(file, pathToUri(file), MAIN);
    const codes = () => ws.analyse(file).fileDiagnostics(file).filter((d) => d.code.startsWith("AWR501")).map((d) => `${d.code} ${d.message}`);
    expect(codes()).toEqual(['AWR5011 js module "./tools/crm.mjs" has no export "lookupOrder"; did you mean "lookupOrders"? (it exports lookupOrders, version)']);
    const fix = ws.analyse(file).fileDiagnostics(file).find((d) => d.code === "AWR5011")?.fixes;
    expect(fix).toEqual([{ kind: "replace", span: expect.objectContaining({}) as unknown, text: "lookupOrders", title: 'Change to "lookupOrders"' }]);

    writeFileSync(join(dir, "tools", "crm.mjs"), `${CRM}export function lookupOrder() { return []; }\n`);
    ws.diskChanged(); // what the server does on a watched-file change
    expect(codes()).toEqual([]);
  });
});
