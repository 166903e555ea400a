import { ZapConfigurationError } from '../core/errors';

/** Bytes of an AES-256 key. */
export const AES_256_KEY_BYTES = 32;
/** Environment variable listing the keys: `id:base64,id:base64` (every key can decrypt). */
export const ENCRYPTION_KEYS_VARIABLE = 'ZAP_ENCRYPTION_KEYS';
/** Environment variable naming the key that encrypts. Defaults to the first key listed. */
export const ENCRYPTION_KEY_ID_VARIABLE = 'ZAP_ENCRYPTION_KEY_ID';

// Key ids travel in payload metadata and in the environment list, so no ':' or ','.
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/** One key of a key ring. */
export interface EncryptionKey {
  /** Stored with every payload it encrypts, so the right key is found after rotation. */
  id: string;
  /** 32 bytes, raw or base64. */
  key: Uint8Array | string;
}

/** Validated keys, in the order given, and the id of the key that encrypts. */
export interface EncryptionKeyRing {
  keys: ReadonlyMap<string, Buffer>;
  currentKeyId: string;
}

/**
 * Checks keys and copies them (so later changes to the caller's buffers change nothing).
 * Messages name the key id and the problem, never the key material.
 */
export function createKeyRing(keys: readonly EncryptionKey[], currentKeyId: string | undefined, where: string): EncryptionKeyRing {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ZapConfigurationError({ message: `${where}: at least one encryption key is needed.` });
  }
  const ring = new Map<string, Buffer>();
  for (const entry of keys) {
    const id = entry?.id;
    if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) {
      throw new ZapConfigurationError({
        message: `${where}: key id ${JSON.stringify(id)} is invalid; use 1–64 characters of [A-Za-z0-9_.-].`,
      });
    }
    if (ring.has(id)) throw new ZapConfigurationError({ message: `${where}: key id '${id}' is listed twice.` });
    ring.set(id, decodeKey(entry.key, id, where));
  }
  const current = currentKeyId ?? (keys[0] as EncryptionKey).id;
  if (!ring.has(current)) {
    throw new ZapConfigurationError({
      message: `${where}: the encrypting key '${current}' is not among the keys (${[...ring.keys()].join(', ')}).`,
    });
  }
  return { keys: ring, currentKeyId: current };
}

/**
 * Reads `ZAP_ENCRYPTION_KEYS` (`k2:<base64>,k1:<base64>`) and `ZAP_ENCRYPTION_KEY_ID`
 * (default: the first key listed).
 */
export function readKeyRingFromEnvironment(environment: NodeJS.ProcessEnv): EncryptionKeyRing {
  const list = environment[ENCRYPTION_KEYS_VARIABLE];
  if (list === undefined || list.trim() === '') {
    throw new ZapConfigurationError({
      message: `${ENCRYPTION_KEYS_VARIABLE} is not set: give it as 'keyId:<base64 of 32 bytes>[,keyId:…]' ` +
        `(generate a key with \`openssl rand -base64 32\`).`,
    });
  }
  const keys = list.split(',').map((entry, index): EncryptionKey => {
    const trimmed = entry.trim();
    const separator = trimmed.indexOf(':');
    if (separator <= 0 || separator === trimmed.length - 1) {
      throw new ZapConfigurationError({
        message: `${ENCRYPTION_KEYS_VARIABLE}: entry ${index + 1} is not 'keyId:<base64 key>'; ` +
          `expected a comma-separated list such as 'k2:<base64>,k1:<base64>'.`,
      });
    }
    return { id: trimmed.slice(0, separator).trim(), key: trimmed.slice(separator + 1).trim() };
  });
  const currentKeyId = environment[ENCRYPTION_KEY_ID_VARIABLE]?.trim() || undefined;
  return createKeyRing(keys, currentKeyId, ENCRYPTION_KEYS_VARIABLE);
}

function decodeKey(key: Uint8Array | string, id: string, where: string): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') {
    if (!BASE64_PATTERN.test(key)) {
      throw new ZapConfigurationError({ message: `${where}: key '${id}' is not base64.` });
    }
    bytes = Buffer.from(key, key.includes('-') || key.includes('_') ? 'base64url' : 'base64');
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  } else {
    throw new ZapConfigurationError({ message: `${where}: key '${id}' must be a Uint8Array or a base64 string.` });
  }
  if (bytes.length !== AES_256_KEY_BYTES) {
    throw new ZapConfigurationError({
      message: `${where}: key '${id}' is ${bytes.length} bytes; AES-256 needs exactly ${AES_256_KEY_BYTES} ` +
        `(generate one with \`openssl rand -base64 32\`).`,
    });
  }
  return bytes;
}
