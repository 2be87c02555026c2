// The exports of a js tool's module, listed without running it (what `awr check` and the editor use
// to check `impl: js("./tools/crm.mjs#lookupOrders")`). ES modules are lexed with es-module-lexer;
// CommonJS modules with cjs-module-lexer — the lexer Node itself uses to give a CommonJS module
// named exports when it is imported, so the names found are the names `import()` will see.
// `export * from "./x.mjs"` and `module.exports = require("./x.cjs")` are followed through relative
// paths; one that cannot be followed leaves the list open (any name may exist, none is reported).
import { parse as parseCjs, initSync as initCjs } from "cjs-module-lexer";
import { parse as parseEsm, initSync as initEsm } from "es-module-lexer";
import type { JsModuleInfo } from "../compiler/index.js";

/** Reads a file of the module graph: its text, or undefined when there is no such file. */
export type ReadText = (file: string) => string | undefined;

/** Path helpers of the host (node:path for the file system, posix-like ids in memory). */
export interface PathOps {
  dirname(file: string): string;
  /** `spec` (relative or absolute) resolved against directory `dir`. */
  resolve(dir: string, spec: string): string;
}

let ready = false;
function init() {
  if (ready) return;
  initEsm();
  initCjs();
  ready = true;
}

/** ES module or CommonJS: by extension, and for `.js` by the nearest package.json's "type" (as Node decides). */
function formatOf(file: string, read: ReadText, path: PathOps): "esm" | "cjs" | undefined {
  if (file.endsWith(".mjs")) return "esm";
  if (file.endsWith(".cjs")) return "cjs";
  if (!file.endsWith(".js")) return undefined;
  for (let dir = path.dirname(file); ; ) {
    const manifest = read(path.resolve(dir, "package.json"));
    if (manifest !== undefined) {
      try {
        return (JSON.parse(manifest) as { type?: unknown }).type === "module" ? "esm" : "cjs";
      } catch {
        return "cjs";
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return "cjs";
    dir = up;
  }
}

/**
 * What the module `file` exports: `{ found: false }` when there is no such file; `exports`
 * undefined when its format is not one Node imports as JavaScript (.mjs, .cjs, .js) or it cannot be
 * lexed; `open` when a re-export could not be followed.
 */
export function jsModuleInfo(file: string, read: ReadText, path: PathOps): JsModuleInfo {
  const text = read(file);
  if (text === undefined) return { found: false, file };
  const names = new Set<string>();
  const state = { open: false, unknown: false };
  collect(file, text, read, path, names, state, new Set());
  if (state.unknown) return { found: true, file };
  return { found: true, file, exports: [...names].sort(), ...(state.open ? { open: true } : {}) };
}

function collect(file: string, text: string, read: ReadText, path: PathOps, names: Set<string>, state: { open: boolean; unknown: boolean }, seen: Set<string>, star = false) {
  if (seen.has(file)) return;
  seen.add(file);
  const format = formatOf(file, read, path);
  if (!format) {
    if (star) state.open = true;
    else state.unknown = true;
    return;
  }
  init();
  const follow = (spec: string) => {
    if (!spec.startsWith("./") && !spec.startsWith("../")) return void (state.open = true); // a package: not followed
    // require() also tries the extensions; an ES module names its file exactly.
    const base = path.resolve(path.dirname(file), spec);
    for (const target of format === "cjs" ? [base, `${base}.js`, `${base}.cjs`] : [base]) {
      const t = read(target);
      if (t !== undefined) return collect(target, t, read, path, names, state, seen, true);
    }
    state.open = true;
  };
  try {
    if (format === "esm") {
      const [imports, exports] = parseEsm(text, file);
      for (const e of exports) if (!(star && e.n === "default")) names.add(e.n);
      for (const i of imports) {
        if (i.t !== 1 || i.n === undefined) continue;
        if (/^export\s*\*\s*from/.test(text.slice(i.ss, i.se))) follow(i.n);
      }
    } else {
      const { exports, reexports } = parseCjs(text, file);
      for (const n of exports) names.add(n);
      // Imported from an ES module, a CommonJS module always has a default export (module.exports).
      if (!star) names.add("default");
      for (const r of reexports) follow(r);
    }
  } catch {
    // A syntax error: the module will not load, but that is for the run to say; names are not checked.
    if (star) state.open = true;
    else state.unknown = true;
  }
}
