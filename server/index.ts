// The server's entry for cli/ (the import rule: cli/ reaches server/ through this file only).
export { openServerDb, type ServerDb } from "./db.js";
export { KeyStore, type ApiKey } from "./auth/keys.js";
