// Turning command-line paths into source files.
import { readdirSync, statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "./io.js";

/**
 * The absolute paths of the `.awr` files named by `paths`: files as given, directories searched
 * recursively (skipping node_modules and dot-directories). Sorted, without duplicates.
 * A path that does not exist is a UsageError.
 */
export function collectSources(paths: readonly string[], cwd: string): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const stat = statOrThrow(abs, p);
    if (stat.isDirectory()) {
      const before = found.size;
      walk(abs, found);
      if (found.size === before) throw new UsageError(`no .awr files in ${p}`);
    } else found.add(abs);
  }
  return [...found].sort();
}

/** The absolute path of an input file that must exist and be a file. */
export function existingFile(p: string, cwd: string): string {
  const abs = resolve(cwd, p);
  if (statOrThrow(abs, p).isDirectory()) throw new UsageError(`${p} is a directory, expected a file`);
  return abs;
}

function statOrThrow(abs: string, shown: string): Stats {
  try {
    return statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new UsageError(`no such file or directory: ${shown}`);
    throw new UsageError(`cannot read ${shown}: ${code ?? (e as Error).message}`);
  }
}

function walk(dir: string, found: Set<string>): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") walk(path, found);
    } else if (entry.isFile() && entry.name.endsWith(".awr")) found.add(path);
  }
}
