// The one place that turns a store spec into a store (ARCHITECTURE.md, Architecture Invariant):
// `memory:` → a MemoryStore, anything else → a SQLite file (relative to the working directory),
// `postgres://…` → refused until the Postgres store lands. Adapters are loaded only when used.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { RunStore } from "../vm/index.js";
import { HostConfigError } from "./errors.js";

/** Where runs live when no spec is given: a SQLite file under the working directory (DESIGN §6). */
export const DEFAULT_STORE = join(".awr", "runs.db");

/** The store spec of the environment: AWR_STORE when set and not empty (DESIGN §6). */
export function defaultStoreSpec(env: Record<string, string | undefined>): string | undefined {
  const spec = env["AWR_STORE"]?.trim();
  return spec ? spec : undefined;
}

export type StoreLocation = { kind: "memory" } | { kind: "sqlite"; path: string };

/** What `spec` names, without opening it; undefined is the default SQLite file under `cwd`. */
export function storeLocation(spec: string | undefined, cwd: string): StoreLocation {
  if (spec === "memory:") return { kind: "memory" };
  // Never echo the spec: a connection string may hold a password.
  if (spec !== undefined && /^postgres(ql)?:\/\//i.test(spec)) {
    throw new HostConfigError("STORE_UNSUPPORTED", "PostgreSQL stores (postgres://…) are not supported yet", "use a SQLite file path or memory:");
  }
  return { kind: "sqlite", path: resolve(cwd, spec ?? DEFAULT_STORE) };
}

/** Whether the store `spec` names holds runs already (a `memory:` store always starts empty, and counts as there). */
export function storeExists(location: StoreLocation): boolean {
  return location.kind === "memory" || existsSync(location.path);
}

/** Where context vector indexes are kept for a store: `index/` beside a SQLite file; in memory for `memory:`. */
export function indexDirOf(location: StoreLocation): string | undefined {
  return location.kind === "sqlite" ? join(dirname(location.path), "index") : undefined;
}

/**
 * Opens the store `spec` names (creating a SQLite file and its directory when missing). A store
 * that cannot be opened (damaged, from a newer awr) throws `StoreError`.
 */
export async function openStore(spec: string | undefined, opts: { cwd: string }): Promise<RunStore> {
  const location = storeLocation(spec, opts.cwd);
  const { MemoryStore, SqliteStore } = await import("../vm/store/index.js");
  return location.kind === "memory" ? new MemoryStore() : new SqliteStore(location.path);
}
