// chevrotain, loaded from its single-file build. The package's entry (lib/src/api.js) is ~50 modules
// that import lodash-es one function per file: ~690 modules, about half of a cold `awr check`
// (docs/performance.md § Cold starts). The same package ships lib/chevrotain.mjs, the same version
// bundled into one file, but its `exports` map hides it from a bare import, so it is found next to
// the resolved entry. Where that fails (a bundler that inlined chevrotain, a test runner without
// `import.meta.resolve`), the package entry is loaded as before: same code, same behaviour, only slower.
// The syntax modules import chevrotain from here and nowhere else.
import type * as Chevrotain from "chevrotain";

async function load(): Promise<typeof Chevrotain> {
  try {
    const bundle = new URL("../chevrotain.mjs", import.meta.resolve("chevrotain")).href;
    const lib = (await import(bundle)) as typeof Chevrotain;
    if (typeof lib.CstParser === "function" && typeof lib.createToken === "function") return lib;
  } catch {
    // No bundle beside the entry (or no import.meta.resolve): the entry below.
  }
  return await import("chevrotain");
}

const lib = await load();

export const { CstParser, Lexer, createToken } = lib;
export type CstParser = Chevrotain.CstParser;
export type Lexer = Chevrotain.Lexer;
export type { CstNode, IRecognitionException, IToken, TokenType } from "chevrotain";
