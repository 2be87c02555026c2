// `PostgresStore` for the `awr/vm` entry, without loading `pg` for embedders who never open one:
// the class lives in vm/store/postgres.ts, which imports `pg` at its top; here is a stand-in of the
// same name whose `open` imports it on first use. The type is the class's own.
import type { PostgresStore as Store, PostgresStoreOptions } from "../vm/store/postgres.js";

export type { PostgresStoreOptions };

/** A PostgreSQL run store (vm/store/postgres.ts): the class's instances. */
export type PostgresStore = Store;

/**
 * `PostgresStore.open(url, { schema? })`: a pool on `url` with the schema migrated, or a
 * `StoreError` naming the server. `pg` is loaded by the first call, not by importing `awr/vm`.
 * (A stand-in of the class: `instanceof PostgresStore` is not available; test `store.label`.)
 */
export const PostgresStore: { open(url: string, opts?: PostgresStoreOptions): Promise<PostgresStore> } = {
  async open(url, opts) {
    const { PostgresStore: Class } = await import("../vm/store/postgres.js");
    return Class.open(url, opts);
  },
};
