import type { Decl, ImportDecl, Module } from "../syntax/ast.js";
import type { LineMap } from "../diagnostics/line-map.js";

/** Where the compiler gets text from. The CLI and LSP implement it; the compiler does no IO itself. */
export interface SourceHost {
  /** The text of a file id, or undefined when there is no such file. */
  read(file: string): string | undefined;
  /**
   * Resolves an import as written (`"std/pii"`, `"./tools.awr"`) in file `from` to a file id,
   * or undefined when it cannot be resolved.
   */
  resolve(spec: string, from: string): string | undefined;
  /** True for library modules (the stdlib): their unused declarations are not reported. */
  isLibrary?(file: string): boolean;
  /**
   * The module a tool's `impl: js("SPEC#export")` in file `from` names, and its exports listed
   * without running it. Optional: a host that cannot tell (an in-memory one) leaves it out or
   * answers undefined, and js modules are then not checked.
   */
  jsModule?(spec: string, from: string): JsModuleInfo | undefined;
  /** The project root of a program whose entry is `entry` (default: the entry's directory); see project-paths.ts. */
  projectRoot?(entry: string): string;
  /** Where a file id really is (symlinks resolved), for the project-root checks. */
  realpath?(file: string): string;
  /** Directories outside the project root that imports, js modules and sources may still use. */
  allowedPaths?(): readonly string[];
}

/**
 * A js tool's module as the host found it: `found: false` when the file does not exist; `exports`
 * (every exported name, `default` included) when it could be lexed as an ES or CommonJS module;
 * `open` when a re-export (`export * from`) could not be followed, so other names may exist.
 */
export type JsModuleInfo = { found: false; file: string } | { found: true; file: string; exports?: string[]; open?: boolean };

export interface ModuleInfo {
  file: string;
  text: string;
  lines: LineMap;
  ast: Module;
  /** Each import with the file it resolved to (undefined: not found). */
  imports: { decl: ImportDecl; file: string | undefined }[];
  library: boolean;
}

/** A top-level declaration and the module that declares it. */
export interface Sym {
  name: string;
  decl: Decl;
  file: string;
}

/**
 * What the front end knows about a whole program. Names are global: two declarations with one name
 * anywhere in the program are an error (AWR2002), and the plan indexes declarations by name.
 * Visibility is per module: a module sees its own declarations and those of the modules it imports.
 */
export interface Program {
  /** Modules in load order (entries first, then imports depth-first). */
  modules: Map<string, ModuleInfo>;
  entries: string[];
  /** Every declaration by name (the first one wins when duplicated). */
  globals: Map<string, Sym>;
  /** Names visible in each module. */
  scopes: Map<string, Map<string, Sym>>;
}

export function lookup(program: Program, file: string, name: string): Sym | undefined {
  return program.scopes.get(file)?.get(name);
}
