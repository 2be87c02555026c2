// The names a PostgreSQL store spec may carry, without the store: `host/stores.ts` parses
// `postgres://…?schema=NAME` on every command's start-up and must not load the store (or its codec)
// to do so (test/cli/cold-start.test.ts).

/** The PostgreSQL schema the tables live in when none is given. */
export const DEFAULT_PG_SCHEMA = "awr";

/** A schema name AWR accepts: a plain lower-case identifier (it is quoted anyway, never interpolated raw). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
