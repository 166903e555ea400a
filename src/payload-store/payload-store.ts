/**
 * Where `ClaimCheckCodec` keeps payloads too large for Temporal history: a key/value store of
 * immutable byte strings. Keys are content addresses (`sha256/<64 hex>`), so writing a key twice
 * writes the same bytes and a retried write is harmless.
 *
 * Implement it for another backend (GCS, Azure Blob, a database); `FileSystemPayloadStore` and
 * `S3PayloadStore` ship with zap-agents.
 */
export interface PayloadStore {
  /**
   * Where the objects live, for error messages (`s3://bucket/prefix/`, a directory).
   * Never include credentials.
   */
  readonly location?: string;
  /** Stores `bytes` under `key`, replacing what may be there (the same bytes, for a content address). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes stored under `key`, or `undefined` when there are none. Other failures throw. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes `key`; removing a key that does not exist is not an error. */
  delete?(key: string): Promise<void>;
}

/** Keys a store must accept: the codec's `sha256/<hex>` and other plain relative paths. */
const STORE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * True when `key` is a safe relative key: segments of `[A-Za-z0-9._-]` separated by `/`, none
 * starting with a dot (so no `..`, no hidden files, no absolute paths).
 */
export function isValidStoreKey(key: string): boolean {
  return typeof key === 'string' && key.length <= 512 && STORE_KEY_PATTERN.test(key);
}
