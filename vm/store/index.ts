// Run stores: where runs, their journals, blobs and the dispatch outbox live (DESIGN §5), behind
// the asynchronous ports of vm/ports/store.ts.
//
//   openStore("memory:")        → MemoryStore (tests, `--store memory:`)
//   openStore(".awr/runs.db")   → SqliteStore at that path (the default path when spec is "")
export { MemoryStore, type MemoryStoreOptions } from "./memory.js";
export { SqliteStore, DEFAULT_STORE_PATH, SCHEMA_VERSION, type SqliteStoreOptions } from "./sqlite.js";
export { StoreError, BlobMissing } from "./errors.js";
export { ChainError } from "./chain.js";
export { DEFAULT_BLOB_THRESHOLD } from "./codec.js";
export { portsOf, type StoreEngine } from "./engine.js";

import { MemoryStore } from "./memory.js";
import { SqliteStore } from "./sqlite.js";

/** `"memory:"` → a fresh MemoryStore; anything else → a SqliteStore at that path ("" = `.awr/runs.db`). */
export function openStore(spec: string): EmbeddedStore {
  return spec === "memory:" ? new MemoryStore() : new SqliteStore(spec);
}

/** An embedded store: the ports plus its synchronous engine (the stores' tests, tools that migrate or inspect a file). */
export type EmbeddedStore = MemoryStore | SqliteStore;
