// The class lives with the other error classes (pure, and loaded by the client's failure mapper
// without this subpath); this module keeps its import path.
export { PayloadStoreError, type PayloadStoreErrorOptions, type PayloadStoreFailure } from '../core/errors/payload-store-error';
