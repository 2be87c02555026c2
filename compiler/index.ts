// awr/compiler — the public API of the compiler. Pure: all IO goes through the SourceHost.
export type { SourceHost, Program, ModuleInfo, Sym } from "./semantic/program.js";
export type { Diagnostic, FixData, Related } from "./diagnostics/diagnostic.js";
export { CODES, type Code, type Severity } from "./diagnostics/codes.js";
export { LineMap } from "./diagnostics/line-map.js";
export * as ast from "./syntax/ast.js";
