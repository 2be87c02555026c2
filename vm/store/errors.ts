// The store's errors are the port's (vm/ports/errors.ts); re-exported for the store's own modules.
export { StoreError, BlobMissing, VersionConflict } from "../ports/errors.js";
