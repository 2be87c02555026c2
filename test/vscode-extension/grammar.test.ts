// The TextMate grammar (vscode-extension/syntaxes/awr.tmLanguage.json) tokenized with the engine VS
// Code uses (vscode-textmate + vscode-oniguruma, devDependencies of the extension), against
// examples/support-triage. The extension's dependencies are installed by `npm run test:vscode`
// (`npm run deps:vscode`); a user of the CLI never installs them.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/awr-cli.js";

const EXT = join(ROOT, "vscode-extension");
const HAS_TEXTMATE = existsSync(join(EXT, "node_modules", "vscode-textmate")) && existsSync(join(EXT, "node_modules", "vscode-oniguruma"));

type Token = { text: string; scopes: string[] };
let lines: Token[][] = [];

describe("the AWR TextMate grammar", () => {
  beforeAll(async () => {
    if (!HAS_TEXTMATE) throw new Error("vscode-extension's dependencies are missing: run npm run test:vscode (it installs them with npm ci --prefix vscode-extension)");
    const req = createRequire(join(EXT, "package.json"));
    const tm = req("vscode-textmate");
    const onig = req("vscode-oniguruma");
    const wasm = readFileSync(req.resolve("vscode-oniguruma/release/onig.wasm"));
    await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new tm.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new onig.OnigScanner(p), createOnigString: (s: string) => new onig.OnigString(s) }),
      loadGrammar: async (scope: string) =>
        scope === "source.awr" ? tm.parseRawGrammar(readFileSync(join(EXT, "syntaxes", "awr.tmLanguage.json"), "utf8"), "awr.tmLanguage.json") : null,
    });
    const grammar = await registry.loadGrammar("source.awr");
    let stack = tm.INITIAL;
    lines = readFileSync(join(ROOT, "examples", "support-triage", "main.awr"), "utf8")
      .split("\n")
      .map((line) => {
        const r = grammar.tokenizeLine(line, stack);
        stack = r.ruleStack;
        return r.tokens.map((t: { startIndex: number; endIndex: number; scopes: string[] }) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
      });
  });

  /** The scopes of the `nth` token whose text is `text` on the line that starts with `lineStart`. */
  function scopes(lineStart: string, text: string, nth = 0): string[] {
    const line = lines.find((l) => l.map((t) => t.text).join("").trimStart().startsWith(lineStart));
    if (!line) throw new Error(`no line starting with ${lineStart}`);
    const hits = line.filter((t) => t.text.trim() === text);
    if (!hits[nth]) throw new Error(`no token ${JSON.stringify(text)} on "${lineStart}": ${line.map((t) => JSON.stringify(t.text)).join(" ")}`);
    return hits[nth].scopes;
  }
  const has = (s: string[], scope: string) => expect(s, s.join(" ")).toContain(scope);

  it("scopes the file as source.awr", () => expect(lines[0]![0]!.scopes[0]).toBe("source.awr"));

  it("tells comments from doc comments", () => {
    has(scopes("// Support triage", "Support triage for an online shop: classify each request, look up the customer's orders,"), "comment.line.double-slash.awr");
    has(scopes("/// Classifies an incoming request", "///"), "punctuation.definition.comment.awr");
    has(scopes("/// Classifies an incoming request", "Classifies an incoming request: severity, category, sentiment and a one-line summary."), "comment.line.documentation.awr");
  });

  it("scopes declaration keywords and the declared names", () => {
    has(scopes("prompt classify_case", "prompt"), "storage.type.prompt.awr");
    has(scopes("prompt classify_case", "classify_case"), "entity.name.function.prompt.awr");
    has(scopes("agent refund_advisor", "refund_advisor"), "entity.name.function.agent.awr");
    has(scopes("graph support_case", "support_case"), "entity.name.function.graph.awr");
    has(scopes("context support_kb", "support_kb"), "entity.name.type.context.awr");
    has(scopes("test small_refund_is_paid_and_confirmed", "small_refund_is_paid_and_confirmed"), "entity.name.function.test.awr");
    has(scopes("node classify", "classify"), "entity.name.function.node.awr");
    has(scopes("import \"std/pii\"", "import"), "keyword.control.import.awr");
  });

  it("scopes types after : and -> (builtin and declared)", () => {
    has(scopes("prompt classify_case", "SupportRequest"), "entity.name.type.awr");
    has(scopes("prompt classify_case", "CaseTriage"), "entity.name.type.awr");
    has(scopes("orders: list<OrderLine>", "list"), "support.type.builtin.awr");
    has(scopes("orders: list<OrderLine>", "OrderLine"), "entity.name.type.awr");
    has(scopes("needs_human: bool", "bool"), "support.type.primitive.awr");
    // `-> triage` writes a state field: not a type
    expect(scopes("run classify_case(request) -> triage", "triage").join(" ")).not.toContain("entity.name.type");
  });

  it("scopes soft keywords in statement positions only", () => {
    has(scopes("run classify_case(request)", "run"), "keyword.control.statement.awr");
    has(scopes("retry 2", "retry"), "keyword.control.statement.awr");
    has(scopes("timeout 20s", "timeout"), "keyword.control.statement.awr");
    has(scopes("state {", "state"), "keyword.other.state.awr");
    has(scopes("edge decide -> escalate when needs_human", "edge"), "keyword.other.edge.awr");
    has(scopes("edge decide -> escalate when needs_human", "when"), "keyword.control.conditional.awr");
    has(scopes("edge decide -> respond otherwise", "otherwise"), "keyword.control.conditional.awr");
    has(scopes("edge start -> [classify, fetch_orders]", "start"), "constant.language.node.start.awr");
    has(scopes("on error -> escalate", "on"), "keyword.control.on-error.awr");
    has(scopes("await human(", "await"), "keyword.control.statement.awr");
    has(scopes("set needs_human =", "set"), "keyword.other.set.awr");
    has(scopes("mock classify_case =>", "mock"), "keyword.other.mock.awr");
    has(scopes("mock classify_case =>", "=>"), "keyword.operator.arrow.fat.awr");
    has(scopes("expect status ==", "expect"), "keyword.control.statement.awr");
    has(scopes("return {", "return"), "keyword.control.statement.awr");
    // the same words as keys and members are not keywords
    expect(scopes("retry { max: 3", "max").join(" ")).toContain("variable.other.property.awr");
    expect(scopes("model: support_mini", "model").join(" ")).toContain("variable.other.property.awr");
    expect(scopes("expect state.refunded == 64.9", "state").join(" ")).not.toContain("keyword");
  });

  it("tells template text from {{ }} holes, across lines", () => {
    const text = scopes("user #\"Channel:", "Channel:");
    has(text, "string.quoted.other.template.awr");
    expect(text.join(" ")).not.toContain("meta.embedded");
    has(scopes("user #\"Channel:", "{{"), "punctuation.section.embedded.begin.awr");
    const hole = scopes("user #\"Channel:", "request");
    has(hole, "meta.embedded.line.awr");
    has(hole, "variable.other.readwrite.awr");
    // a later line of the same template
    has(scopes("Subject: {{ request.subject }}", "Subject:"), "string.quoted.other.template.awr");
    has(scopes("{{ output_format }}\"#", "\"#"), "punctuation.definition.string.template.end.awr");
    // the template ended: the next line is code again
    expect(scopes("user #\"Channel:", "user")).toEqual(["source.awr", "variable.other.property.awr"]);
  });

  it("scopes durations, numbers, strings, booleans, null and attributes", () => {
    has(scopes("timeout 20s", "20"), "constant.numeric.duration.awr");
    has(scopes("timeout 20s", "s"), "keyword.other.unit.awr");
    has(scopes("retry { max: 3, backoff: exponential(500ms, 8s) }", "500"), "constant.numeric.duration.awr");
    has(scopes("retry { max: 3", "3"), "constant.numeric.awr");
    has(scopes("needs_human: bool = false", "false"), "constant.language.boolean.false.awr");
    has(scopes("edge decide -> refund when", "null"), "constant.language.null.awr");
    has(scopes("role: \"Senior customer support", "Senior customer support agent for refunds and order problems"), "string.quoted.double.awr");
    has(scopes("orders: list<OrderLine> @reduce(replace)", "reduce"), "entity.name.function.decorator.awr");
    has(scopes("orders: list<OrderLine> @reduce(replace)", "@"), "punctuation.definition.decorator.awr");
  });

  it("scopes operators and arrows", () => {
    has(scopes("run classify_case(request) -> triage", "->"), "keyword.operator.arrow.awr");
    has(scopes("edge decide -> refund when", "&&"), "keyword.operator.logical.awr");
    has(scopes("edge decide -> refund when", "=="), "keyword.operator.comparison.awr");
    has(scopes("run refund_advisor(request, triage!, orders)", "!"), "keyword.operator.non-null.awr");
    has(scopes("receipt_id: receipt?.id", "?."), "punctuation.accessor.optional.awr");
  });
});
