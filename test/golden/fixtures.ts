// Shared by the golden runners: fixture discovery, compiling a fixture in memory, rendering diagnostics.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "../../compiler/compile.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { renderDiagnostic } from "../../compiler/diagnostics/render.js";
import { memoryHost } from "../helpers/memory-host.js";

export const GOLDEN_DIR = fileURLToPath(new URL(".", import.meta.url));

export interface Fixture {
  /** File name without extension, e.g. `AWR2001-unknown-name`. */
  name: string;
  /** The files of the program keyed by id (`main.awr` is the entry). */
  files: Record<string, string>;
  /** Where the expected output lives. */
  expected: string;
}

/**
 * Fixtures of a directory: each `NAME.awr` is a one-file program (compiled as `main.awr`); each
 * directory `NAME/` is a multi-file program with its `main.awr` as entry. The expected output of
 * either is `NAME.<ext>` beside it. A directory's `.mjs`/`.cjs`/`.js` files and package.json files
 * are part of it too (js tools' modules).
 */
export function fixtures(dir: string, ext: string): Fixture[] {
  const out: Fixture[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      out.push({ name: entry, files: readTree(path), expected: join(dir, `${entry}.${ext}`) });
    } else if (entry.endsWith(".awr")) {
      const name = entry.slice(0, -".awr".length);
      out.push({ name, files: { "main.awr": readFileSync(path, "utf8") }, expected: join(dir, `${name}.${ext}`) });
    }
  }
  return out;
}

function readTree(root: string, dir = root, files: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) readTree(root, path, files);
    else if (/\.(awr|mjs|cjs|js)$/.test(entry) || entry === "package.json") files[relative(root, path).split("\\").join("/")] = readFileSync(path, "utf8");
  }
  return files;
}

/**
 * Compiles a fixture from memory; the entry is `main.awr`. A fixture directory holding JavaScript
 * files has its js tools' modules checked against them (AWR5010, AWR5011); other fixtures name
 * modules they do not provide, and those are not checked.
 */
export function compileFixture(files: Record<string, string>): Diagnostic[] {
  const jsModules = Object.keys(files).some((f) => /\.(mjs|cjs|js)$/.test(f));
  return compile(["main.awr"], memoryHost(files, { jsModules })).diagnostics;
}

/** Every diagnostic rendered without colour, blank-line separated, in the order given. */
export function renderAll(ds: readonly Diagnostic[], files: Record<string, string>): string {
  if (ds.length === 0) return "(no diagnostics)\n";
  const host = memoryHost(files);
  const source = (f: string) => host.read(f);
  return ds.map((d) => renderDiagnostic(d, source(d.file) ?? "", { color: false, source })).join("\n\n") + "\n";
}
