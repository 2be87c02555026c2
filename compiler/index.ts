// awr/compiler — the public API of the compiler. Pure: all IO goes through the SourceHost.
export { compile, checkFiles, type CompileOptions, type CompileResult } from "./compile.js";
export { parse, type ParseResult } from "./syntax/parser.js";
export { ParseCache, loadProgram } from "./semantic/load.js";
export { checkProgram, type CheckResult } from "./semantic/check/index.js";
export type { Reference } from "./semantic/scope.js";
export type { SourceHost, JsModuleInfo, Program, ModuleInfo, Sym } from "./semantic/program.js";
export type { Diagnostic, FixData, Related } from "./diagnostics/diagnostic.js";
export { hasErrors, sortDiagnostics } from "./diagnostics/diagnostic.js";
export { CODES, type Code, type Severity } from "./diagnostics/codes.js";
export { LineMap } from "./diagnostics/line-map.js";
export { renderDiagnostic, diagnosticToJson } from "./diagnostics/render.js";
export * from "./plan/index.js";
export { lowerProgram } from "./lower/index.js";
export { graphCost, explainCost, graphToMermaid, graphToDot, analyzeProgram } from "./analysis/index.js";
export { VERSION } from "./version.js";
export * as ast from "./syntax/ast.js";
