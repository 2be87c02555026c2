// server/: `awr serve` and `awr worker` (DESIGN §7–§9). The CLI reaches it through this file only.
export { openWorker, enqueueRun, DEFAULT_HEARTBEAT_MS, type OpenWorker, type WorkerConfig, type WorkerReport } from "./worker/index.js";
export { openServerDb, type ServerDb } from "./db.js";
export { KeyStore, type ApiKey } from "./auth/keys.js";
