// The file-system SourceHost: file ids are absolute paths; `std/NAME` resolves into the package's stdlib.
import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceHost } from "../compiler/semantic/program.js";

let root: string | undefined;

/**
 * The directory of the `awr` package. Found by walking up from this module, so it works from the
 * sources (`cli/`) and from the build output (`dist/cli/`) alike.
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

  constructor(private readonly stdlibDir: string = join(packageRoot(), "stdlib")) {}

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

  /** Standard-library modules: their unused declarations are not reported. */
  isLibrary(file: string): boolean {
    return file.startsWith(join(this.stdlibDir, "std") + sep);
  }
}

function withExtension(spec: string): string {
  return extname(spec) === "" ? `${spec}.awr` : spec;
}
