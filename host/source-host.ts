// The file-system SourceHost: file ids are absolute paths; `std/NAME` resolves into the package's
// stdlib. The CLI compiles with it and the language server reads unopened files through it.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { JsModuleInfo, SourceHost } from "../compiler/index.js";
import { jsModuleInfo } from "./js-exports.js";
import { allowPathsFromEnv, findProjectRoot, realPath } from "../vm/project-paths.js";

let root: string | undefined;

/**
 * The directory of the `awr` package. Found by walking up from this module, so it works from the
 * sources (`host/`) and from the build output (`dist/host/`) alike.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "awr") return (root = dir);
      } catch {
        // a malformed package.json further down is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the awr package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

export class FileHost implements SourceHost {
  private readonly cache = new Map<string, string | undefined>();
  /** Per module, the last answer and the files it read (with size and mtime: see `jsModule`). */
  private readonly jsModules = new Map<string, { info: JsModuleInfo; stamps: string[] }>();

  private readonly allowPaths: readonly string[];

  constructor(
    private readonly stdlibDir: string = join(packageRoot(), "stdlib"),
    /** Directories outside the project that sources may use (default: `AWR_ALLOW_PATHS`). */
    opts: { allowPaths?: readonly string[] } = {},
  ) {
    this.allowPaths = opts.allowPaths ?? allowPathsFromEnv();
  }

  /** The nearest directory at or above the entry's holding package.json or .git, else the entry's (vm/project-paths.ts). */
  projectRoot(entry: string): string {
    return findProjectRoot(dirname(entry));
  }

  realpath(file: string): string {
    return realPath(file);
  }

  allowedPaths(): readonly string[] {
    return this.allowPaths;
  }

  read(file: string): string | undefined {
    if (this.cache.has(file)) return this.cache.get(file);
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    } catch {
      text = undefined; // missing, a directory, unreadable: all "no such file" to the compiler
    }
    this.cache.set(file, text);
    return text;
  }

  resolve(spec: string, from: string): string | undefined {
    let file: string;
    if (spec.startsWith("std/")) {
      const std = join(this.stdlibDir, "std");
      file = resolve(std, withExtension(spec.slice(4)));
      if (!file.startsWith(std + sep)) return undefined; // `std/../x` must not leave the stdlib
    }
    else if (spec.startsWith("./") || spec.startsWith("../")) file = resolve(dirname(from), withExtension(spec));
    else if (isAbsolute(spec)) file = resolve(withExtension(spec));
    else return undefined;
    return this.read(file) === undefined ? undefined : file;
  }

  /**
   * A js tool's module, resolved as the VM resolves it (relative to the declaring file's directory)
   * and lexed, not run. Not cached across changes: each answer is keyed on the files' size and
   * modification time, so the editor sees a module created or edited after it started.
   */
  jsModule(spec: string, from: string): JsModuleInfo {
    const file = isAbsolute(spec) ? resolve(spec) : resolve(dirname(from), spec);
    const stamps: string[] = [];
    const read = (f: string): string | undefined => {
      try {
        const st = statSync(f);
        if (!st.isFile()) {
          stamps.push(`${f}\0-`);
          return undefined;
        }
        stamps.push(`${f}\0${st.size}\0${st.mtimeMs}`);
        return readFileSync(f, "utf8");
      } catch {
        stamps.push(`${f}\0-`);
        return undefined;
      }
    };
    const hit = this.jsModules.get(file);
    if (hit && hit.stamps.every((s) => s === stampOf(s.slice(0, s.indexOf("\0"))))) return hit.info;
    const info = jsModuleInfo(file, read, { dirname, resolve });
    this.jsModules.set(file, { info, stamps });
    return info;
  }

  /** Standard-library modules: their unused declarations are not reported. */
  isLibrary(file: string): boolean {
    return file.startsWith(join(this.stdlibDir, "std") + sep);
  }
}

/** `file` with its size and modification time, or "-" when it is not a readable file (see `jsModule`). */
function stampOf(file: string): string {
  try {
    const st = statSync(file);
    return st.isFile() ? `${file}\0${st.size}\0${st.mtimeMs}` : `${file}\0-`;
  } catch {
    return `${file}\0-`;
  }
}

function withExtension(spec: string): string {
  return extname(spec) === "" ? `${spec}.awr` : spec;
}
