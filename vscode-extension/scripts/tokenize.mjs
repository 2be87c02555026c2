// Prints the TextMate scopes of every token of an .awr file (or of stdin): for checking the grammar.
// Usage: node scripts/tokenize.mjs FILE [--line N]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const tm = require("vscode-textmate");
const onig = require("vscode-oniguruma");
await onig.loadWASM(readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer);
const registry = new tm.Registry({
  onigLib: Promise.resolve({ createOnigScanner: (p) => new onig.OnigScanner(p), createOnigString: (s) => new onig.OnigString(s) }),
  loadGrammar: async (scope) => (scope === "source.awr" ? tm.parseRawGrammar(readFileSync(join(here, "syntaxes", "awr.tmLanguage.json"), "utf8"), "awr.tmLanguage.json") : null),
});
const grammar = await registry.loadGrammar("source.awr");
const file = process.argv[2];
const only = process.argv.includes("--line") ? Number(process.argv[process.argv.indexOf("--line") + 1]) : undefined;
const lines = readFileSync(file ?? 0, "utf8").split(/\r?\n/);
let stack = tm.INITIAL;
lines.forEach((line, i) => {
  const r = grammar.tokenizeLine(line, stack);
  stack = r.ruleStack;
  if (only !== undefined && only !== i + 1) return;
  console.log(`${i + 1}: ${line}`);
  for (const t of r.tokens) {
    const text = line.slice(t.startIndex, t.endIndex);
    if (text.trim()) console.log(`    ${JSON.stringify(text).padEnd(24)} ${t.scopes.slice(1).join(" ")}`);
  }
});
