import { createHash } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { ZapConfigurationError } from '../core/errors';
import { isValidStoreKey, type PayloadStore } from './payload-store';
import { PayloadStoreError } from './payload-store-error';

/** `encoding` metadata of a reference payload written by {@link ClaimCheckCodec}. */
export const CLAIM_CHECK_ENCODING = 'zap-agents/claim-check';

/**
 * Payloads larger than this (serialized, metadata included) go to the store. A quarter of the
 * 512 KB at which Temporal starts warning about a payload and 1/16 of its 2 MB hard limit, so that
 * a workflow task that carries several results at once (parallel tool calls completing together)
 * stays far below the 4 MB gRPC message limit, while the usual payloads (model answers, tool
 * results of a few KB, activity inputs) stay inline and cost no store round trip. Temporal's own
 * external storage defaults to 256 KiB; half of it leaves room for the conversation pages
 * (256 KiB) the worker reads by query.
 */
export const DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES = 128 * 1024;

/** Options of {@link ClaimCheckCodec}. */
export interface ClaimCheckCodecOptions {
  /** Where large payloads go: `FileSystemPayloadStore` (one host), `S3PayloadStore` (a cluster), or your own. */
  store: PayloadStore;
  /**
   * Payloads whose serialized size is larger than this are offloaded; 0 offloads every payload.
   * @default 131072 (128 KiB)
   */
  thresholdBytes?: number;
}

/** Data of a reference payload (JSON): enough to fetch the original and prove it is the same. */
const claimCheckReferenceSchema = z.object({
  key: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
type ClaimCheckReference = z.infer<typeof claimCheckReferenceSchema>;

/**
 * A Temporal `PayloadCodec` that keeps large payloads out of workflow history (the claim-check
 * pattern): a payload over `thresholdBytes` is written to a {@link PayloadStore} under its content
 * address `sha256/<hex>`, and Temporal gets a small reference payload instead, with metadata
 * `encoding: zap-agents/claim-check` and data `{"key":…,"sha256":…,"size":…}`. Decoding fetches the
 * object, checks its size and SHA-256, and returns the original payload, so clients, workers and
 * the Web UI (through `startCodecServer`) see it unchanged.
 *
 * Covers every payload Temporal carries: task input, workflow input at continue-as-new,
 * activity inputs and results (tool results, model answers), signals, updates and query results.
 * Keys are content addresses: a retried activity that produces the same bytes writes the same key.
 *
 * Decoding fails with a {@link PayloadStoreError} naming the key when the object is missing, its
 * size or hash does not match, or the store fails; payloads that are not references pass through.
 *
 * With encryption, encrypt first and offload second, so the store holds ciphertext only:
 * `chainPayloadCodecs([encryption, claimCheck])`. (Encryption uses a fresh IV each time, so then
 * a retry writes a new object instead of the same key.)
 *
 * @example
 * ```ts
 * const payloadCodec = new ClaimCheckCodec({ store: new S3PayloadStore({ bucket: 'zap-payloads' }) });
 * const zap = new Zap({ agents, payloadCodec });
 * ```
 */
export class ClaimCheckCodec implements PayloadCodec {
  readonly store: PayloadStore;
  readonly thresholdBytes: number;

  constructor(options: ClaimCheckCodecOptions) {
    const store = options?.store;
    if (!store || typeof store.put !== 'function' || typeof store.get !== 'function') {
      throw new ZapConfigurationError({ message: 'ClaimCheckCodec needs a `store` with put() and get().' });
    }
    const thresholdBytes = options.thresholdBytes ?? DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;
    if (!Number.isSafeInteger(thresholdBytes) || thresholdBytes < 0) {
      throw new ZapConfigurationError({
        message: `ClaimCheckCodec \`thresholdBytes\` must be a non-negative integer, not ${String(thresholdBytes)}.`,
      });
    }
    this.store = store;
    this.thresholdBytes = thresholdBytes;
  }

  /** Offloads each payload over the threshold and replaces it by a reference; others pass through. */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.encodeOne(payload)));
  }

  /** Replaces each reference by the payload it names, checked against its size and SHA-256. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    if (isClaimCheckReference(payload)) return payload;
    const bytes = temporal.api.common.v1.Payload.encode(payload).finish();
    if (bytes.length <= this.thresholdBytes) return payload;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const reference: ClaimCheckReference = { key: `sha256/${sha256}`, sha256, size: bytes.length };
    try {
      await this.store.put(reference.key, bytes);
    } catch (error) {
      throw this.storeFailure(`Could not write payload '${reference.key}' (${bytes.length} bytes) to the payload store`, reference.key, error);
    }
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(CLAIM_CHECK_ENCODING) },
      data: Buffer.from(JSON.stringify(reference)),
    };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    if (!isClaimCheckReference(payload)) return payload;
    const reference = this.parseReference(payload);
    const { key } = reference;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.store.get(key);
    } catch (error) {
      throw this.storeFailure(`Could not read payload '${key}' from the payload store`, key, error);
    }
    const location = this.store.location;
    const where = location === undefined ? 'the payload store' : `the payload store at ${location}`;
    if (bytes === undefined) {
      throw new PayloadStoreError({
        message: `Payload '${key}' (${reference.size} bytes) is not in ${where}: it was deleted or expired, or this process ` +
          'reads another store than the one that wrote it (a FileSystemPayloadStore on another host?).',
        failure: 'missing',
        key,
        location,
      });
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== reference.size || sha256 !== reference.sha256) {
      throw new PayloadStoreError({
        message: `Payload '${key}' in ${where} is corrupted: expected ${reference.size} bytes with SHA-256 ${reference.sha256}, ` +
          `found ${bytes.length} bytes with SHA-256 ${sha256}.`,
        failure: 'corrupted',
        key,
        location,
      });
    }
    try {
      const decoded = temporal.api.common.v1.Payload.decode(bytes);
      return { metadata: { ...decoded.metadata }, data: decoded.data };
    } catch (error) {
      throw new PayloadStoreError({
        message: `Payload '${key}' in ${where} matches its hash but is not a Temporal payload.`,
        failure: 'corrupted',
        key,
        location,
        cause: error,
      });
    }
  }

  private parseReference(payload: Payload): ClaimCheckReference {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = claimCheckReferenceSchema.safeParse(json);
    if (parsed.success && isValidStoreKey(parsed.data.key)) return parsed.data;
    const key = parsed.success ? parsed.data.key : undefined;
    throw new PayloadStoreError({
      message: `A '${CLAIM_CHECK_ENCODING}' payload is not a valid reference${key === undefined ? '' : ` (key '${key}')`}: ` +
        'its data must be JSON {"key":"sha256/<hex>","sha256":"<64 hex>","size":<bytes>}.',
      failure: 'invalid-reference',
      key,
      location: this.store.location,
    });
  }

  private storeFailure(message: string, key: string, error: unknown): PayloadStoreError {
    if (PayloadStoreError.isInstance(error)) return error;
    const location = this.store.location;
    const detail = error instanceof Error ? error.message : String(error);
    return new PayloadStoreError({
      message: `${message}${location === undefined ? '' : ` at ${location}`}: ${detail}`,
      failure: 'unavailable',
      key,
      location,
      cause: error,
    });
  }
}

/** True for a reference payload written by {@link ClaimCheckCodec}. */
export function isClaimCheckReference(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString() === CLAIM_CHECK_ENCODING;
}
