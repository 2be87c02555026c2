// The one place that turns a store spec into a store (ARCHITECTURE.md, Architecture Invariant):
// `memory:` → a MemoryStore, `postgres://…` / `postgresql://…` → a PostgresStore (the schema named by
// `?schema=`, default `awr`), anything else → a SQLite file (relative to the working directory).
// Adapters are loaded only when used (pg only for a PostgreSQL store).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { RunStore } from "../vm/index.js";
import { DEFAULT_PG_SCHEMA, SCHEMA_NAME } from "../vm/store/postgres-names.js";
import { HostConfigError } from "./errors.js";

/** Where runs live when no spec is given: a SQLite file under the working directory (DESIGN §6). */
export const DEFAULT_STORE = join(".awr", "runs.db");

/** The store spec of the environment: AWR_STORE when set and not empty (DESIGN §6). */
export function defaultStoreSpec(env: Record<string, string | undefined>): string | undefined {
  const spec = env["AWR_STORE"]?.trim();
  return spec ? spec : undefined;
}

export type StoreLocation =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  /** `url` is what pg connects with (the spec without `schema=`); `label` names it without a password. */
  | { kind: "postgres"; url: string; schema: string; label: string };

export { DEFAULT_PG_SCHEMA };

/** What `spec` names, without opening it; undefined is the default SQLite file under `cwd`. */
export function storeLocation(spec: string | undefined, cwd: string): StoreLocation {
  if (spec === "memory:") return { kind: "memory" };
  if (spec !== undefined && /^postgres(ql)?:\/\//i.test(spec)) return postgresLocation(spec);
  return { kind: "sqlite", path: resolve(cwd, spec ?? DEFAULT_STORE) };
}

/**
 * `postgres://user:pw@host:5432/db?schema=awr_staging&sslmode=require`: the connection string pg
 * takes (every parameter but `schema`) and the schema. Never echoes the spec: it may hold a password.
 */
function postgresLocation(spec: string): StoreLocation {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new HostConfigError("STORE_INVALID", "the PostgreSQL store spec is not a valid connection string", "use postgres://user[:password]@host[:port]/database[?schema=name]");
  }
  const label = `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ""}${u.host}${u.pathname}`;
  const schema = u.searchParams.get("schema") ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new HostConfigError("STORE_INVALID", `the schema ${JSON.stringify(schema)} of the PostgreSQL store ${label} is not a plain name`, "use lower-case letters, digits and _ (not starting with a digit) after ?schema=", schema);
  }
  u.searchParams.delete("schema");
  return { kind: "postgres", url: u.toString(), schema, label: `${label} (schema ${schema})` };
}

/**
 * Whether the store `spec` names holds runs already (a `memory:` store always starts empty, and
 * counts as there; a PostgreSQL store is asked when opened — its schema is created on first use).
 */
export function storeExists(location: StoreLocation): boolean {
  return location.kind !== "sqlite" || existsSync(location.path);
}

/** Where context vector indexes are kept for a store: `index/` beside a SQLite file; in memory for `memory:` and PostgreSQL. */
export function indexDirOf(location: StoreLocation): string | undefined {
  return location.kind === "sqlite" ? join(dirname(location.path), "index") : undefined;
}

/**
 * Opens the store `spec` names (creating a SQLite file and its directory, or a PostgreSQL schema
 * and its tables, when missing). A store that cannot be opened (damaged, from a newer awr, a
 * server that cannot be reached — named without its password) throws `StoreError`.
 */
export async function openStore(spec: string | undefined, opts: { cwd: string }): Promise<RunStore> {
  const location = storeLocation(spec, opts.cwd);
  if (location.kind === "postgres") {
    const { PostgresStore } = await import("../vm/store/postgres.js");
    return PostgresStore.open(location.url, { schema: location.schema });
  }
  // Each adapter's own module: `memory:` loads no better-sqlite3 (vm/store/index.ts has both).
  if (location.kind === "memory") return new (await import("../vm/store/memory.js")).MemoryStore();
  return new (await import("../vm/store/sqlite.js")).SqliteStore(location.path);
}
