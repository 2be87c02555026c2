import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, normalize } from "node:path";
import { posix } from "node:path";
import type { SourceHost } from "../../compiler/semantic/program.js";
import { jsModuleInfo } from "../../host/js-exports.js";

const STDLIB = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "stdlib", "std");

/**
 * An in-memory SourceHost for tests: files are given as { "main.awr": "..." } (ids are the keys,
 * `/`-separated); `std/NAME` imports read the real stdlib from disk.
 */
export function memoryHost(files: Record<string, string>, opts: { jsModules?: boolean } = {}): SourceHost {
  return {
    // Opt-in: most tests declare js tools whose modules they never write.
    ...(opts.jsModules
      ? { jsModule: (spec: string, from: string) => jsModuleInfo(posix.join(posix.dirname(from), spec), (f) => files[f], { dirname: posix.dirname, resolve: posix.join }) }
      : {}),
    read(file) {
      if (file.startsWith("std/")) {
        try {
          return readFileSync(join(STDLIB, file.slice(4)), "utf8");
        } catch {
          return undefined;
        }
      }
      return files[file];
    },
    resolve(spec, from) {
      if (spec.startsWith("std/")) return spec.endsWith(".awr") ? spec : `${spec}.awr`;
      const base = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
      const joined = normalize(join(base, spec)).replace(/\\/g, "/");
      return joined.endsWith(".awr") ? joined : `${joined}.awr`;
    },
    isLibrary: (file) => file.startsWith("std/"),
  };
}
