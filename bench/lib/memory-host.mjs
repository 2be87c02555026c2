// The in-memory SourceHost the benches compile with: the given files plus the real stdlib (read
// once from disk). The same resolution as test/helpers/memory-host.ts; `std/…` modules are library.
import { readFileSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const STDLIB = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "stdlib", "std");
const std = {};
for (const f of readdirSync(STDLIB)) if (f.endsWith(".awr")) std[`std/${f}`] = readFileSync(join(STDLIB, f), "utf8");

/** A SourceHost over `files` ({ "main.awr": text, "dir/x.awr": text }). */
export function memoryHost(files) {
  return {
    read: (file) => files[file] ?? std[file],
    resolve(spec, from) {
      if (spec.startsWith("std/")) return spec.endsWith(".awr") ? spec : `${spec}.awr`;
      const joined = posix.normalize(posix.join(posix.dirname(from), spec));
      return joined.endsWith(".awr") ? joined : `${joined}.awr`;
    },
    isLibrary: (file) => file.startsWith("std/"),
  };
}
