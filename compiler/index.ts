// awr/compiler — the public API of the compiler. Pure: all IO goes through the SourceHost.
// API Boundary: cli/ and lsp/ import the compiler through this file only (ARCHITECTURE.md,
// "Architecture Invariant"); what they need is exported here, deliberately.
export { compile, checkFiles, type CompileOptions, type CompileResult } from "./compile.js";
export { Session, IncrementalParseCache, type Analysis, type SessionOptions } from "./session.js";
export { parse, docBefore, type ParseResult } from "./syntax/parser.js";
export { ParseCache, loadProgram } from "./semantic/load.js";
export { checkProgram, type CheckResult } from "./semantic/check/index.js";
export type { Reference } from "./semantic/scope.js";
export type { SourceHost, JsModuleInfo, Program, ModuleInfo, Sym } from "./semantic/program.js";
export type { Diagnostic, FixData, Related } from "./diagnostics/diagnostic.js";
export { hasErrors, sortDiagnostics } from "./diagnostics/diagnostic.js";
export { CODES, type Code, type Severity } from "./diagnostics/codes.js";
export { LineMap } from "./diagnostics/line-map.js";
export { closest } from "./diagnostics/suggest.js";
export { renderDiagnostic, diagnosticToJson } from "./diagnostics/render.js";
// The plan's types, printers, signing and encoding — not its zod schema nor `decodePlan`, which
// load zod (~95 modules): a plan is read from bytes by the VM (`loadPlan`) or compiler/plan/codec.ts.
export type * from "./plan/types.js";
export { PLAN_FORMAT, PLAN_FORMAT_SINCE, defaultRetry } from "./plan/format.js";
export * from "./plan/ids.js";
export * from "./plan/vocabulary.js";
export { PlanError, PlanTrustError, SigningKeyError, type PlanErrorCode, type PlanTrustErrorCode } from "./plan/errors.js";
export { encodePlan, readPlanHeader, PLAN_MAGIC, SIGNED_FORMAT, keyFingerprint, type PlanHeader, type PlanSignature } from "./plan/file.js";
export { planToText, exprText, schemaText } from "./plan/inspect.js";
export { signPlan, verifyPlanSignature, signatureIntact, fingerprintOf, signingKey, trustedKey, type KeyInput } from "./plan/signature.js";
export { lowerProgram } from "./lower/index.js";
export { graphCost, explainCost, graphToMermaid, graphToDot, analyzeProgram } from "./analysis/index.js";
export { graphToJson } from "./analysis/export.js";
export { VERSION } from "./version.js";
export * as ast from "./syntax/ast.js";

// For the language server (lsp/): the pieces of the language its features look at — the
// vocabulary's docs (language/), the scopes per declaration kind, and the query of what a position
// sees and of the types there (`scopeAt`; the checker's internals stay inside). Exported
// deliberately; lsp/ imports nothing else of the compiler.
export { lex } from "./syntax/lexer.js";
export * as lexer from "./syntax/lexer.js";
export { parseExpressionAt } from "./syntax/parser.js";
export { formatSource, formatOptionsOf, type FormatOptions } from "./format/print.js";
export { BUILTIN_TYPE_NAMES, kindWord } from "./semantic/scope.js";
export { scopeAt, type Scope, type Local } from "./scope-at.js";
export { BUILTINS, BUILTIN_FORMS, builtinForm, builtinSignature } from "./language/builtins.js";
export { KEYWORD_DOCS, keywordDoc } from "./language/keywords.js";
export * as props from "./language/props.js";
export * as scopes from "./language/scopes.js";
export * as types from "./semantic/types.js";
