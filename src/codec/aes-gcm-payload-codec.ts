import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadEncryptionError } from '../core/errors';
import { createKeyRing, readKeyRingFromEnvironment, type EncryptionKey } from './encryption-keys';

/** `encoding` metadata of an encrypted payload (the value Temporal's samples and Web UI expect). */
export const ENCRYPTED_PAYLOAD_ENCODING = 'binary/encrypted';
/** Metadata entry naming the key that encrypted a payload. */
export const ENCRYPTION_KEY_ID_METADATA_KEY = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Options of {@link AesGcmPayloadCodec}. */
export interface AesGcmPayloadCodecOptions {
  /** Every key that may decrypt, each 32 bytes (raw or base64). Keep retired keys here while old payloads exist. */
  keys: readonly EncryptionKey[];
  /** Id of the key that encrypts new payloads. @default the first key's id */
  currentKeyId?: string;
}

/**
 * A Temporal `PayloadCodec` that encrypts every payload with AES-256-GCM, so workflow inputs,
 * results, signals, queries, activity arguments and memos reach the Temporal server only as
 * ciphertext. An encrypted payload has metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <id>`, and data `iv (12 bytes) + ciphertext + tag (16 bytes)` over the
 * serialized original `Payload` — the layout of Temporal's encryption samples.
 *
 * Decoding fails with `PayloadEncryptionError` when the key id is unknown, the key is wrong or the
 * data was altered. Payloads that are not encrypted (written before encryption was turned on)
 * pass through unchanged.
 *
 * @example
 * ```ts
 * // ZAP_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"  ZAP_ENCRYPTION_KEY_ID=k2
 * const zap = new Zap({ agents, payloadCodec: AesGcmPayloadCodec.fromEnvironment() });
 * ```
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  /** Id of the key that encrypts. */
  readonly currentKeyId: string;
  // A private field: util.inspect and JSON.stringify never show it, so keys do not end up in logs.
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(options: AesGcmPayloadCodecOptions) {
    const ring = createKeyRing(options?.keys, options?.currentKeyId, 'AesGcmPayloadCodec');
    this.#keys = ring.keys;
    this.currentKeyId = ring.currentKeyId;
  }

  /**
   * A codec from `ZAP_ENCRYPTION_KEYS` (`k2:<base64>,k1:<base64>`, every key can decrypt) and
   * `ZAP_ENCRYPTION_KEY_ID` (the key that encrypts; default the first listed).
   * `ZapConfigurationError` when the variable is missing or malformed, or a key is not 32 bytes.
   */
  static fromEnvironment(environment: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec {
    const ring = readKeyRingFromEnvironment(environment);
    return new AesGcmPayloadCodec({
      keys: [...ring.keys].map(([id, key]) => ({ id, key })),
      currentKeyId: ring.currentKeyId,
    });
  }

  /** Ids of the keys that can decrypt, in the order given. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** Encrypts each payload with the current key (a fresh random IV each time). */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.currentKeyId;
    const key = this.#keys.get(keyId) as Buffer;
    return payloads.map((payload) => {
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_PAYLOAD_ENCODING),
          [ENCRYPTION_KEY_ID_METADATA_KEY]: Buffer.from(keyId),
        },
        data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  /** Decrypts encrypted payloads with the key their metadata names; others pass through. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_PAYLOAD_ENCODING) return payload;

    const keyIdBytes = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA_KEY];
    if (!keyIdBytes || keyIdBytes.length === 0) {
      throw new PayloadEncryptionError({
        message: `An encrypted payload has no '${ENCRYPTION_KEY_ID_METADATA_KEY}' metadata; it cannot be decrypted.`,
      });
    }
    const keyId = Buffer.from(keyIdBytes).toString();
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new PayloadEncryptionError({
        message: `A payload is encrypted with key '${keyId}', which this process does not have (known keys: ${this.keyIds.join(', ')}). ` +
          `Add '${keyId}' to ZAP_ENCRYPTION_KEYS (or the codec's keys) to read it.`,
        keyId,
      });
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadEncryptionError({
        message: `A payload encrypted with key '${keyId}' is ${data.length} bytes, too short to be AES-GCM data; it was altered or truncated.`,
        keyId,
      });
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new PayloadEncryptionError({
        message: `Could not decrypt a payload with key '${keyId}': the key is wrong or the data was altered.`,
        keyId,
        cause: error,
      });
    }
    try {
      const decoded = temporal.api.common.v1.Payload.decode(plaintext);
      return { metadata: { ...decoded.metadata }, data: decoded.data };
    } catch (error) {
      throw new PayloadEncryptionError({
        message: `A payload decrypted with key '${keyId}' is not a Temporal payload.`,
        keyId,
        cause: error,
      });
    }
  }
}
