/**
 * Large payloads outside Temporal history (`zap-agents/payload-store`): a `ClaimCheckCodec` that
 * writes payloads over a threshold to a store and leaves a small reference in history, with a
 * store for one host (`FileSystemPayloadStore`) and one for a cluster (`S3PayloadStore`, on the
 * optional peer dependency `@aws-sdk/client-s3`).
 *
 * @module
 * @example
 * ```ts
 * import { Zap } from 'zap-agents';
 * import { ClaimCheckCodec, S3PayloadStore } from 'zap-agents/payload-store';
 *
 * const store = new S3PayloadStore({ bucket: 'zap-payloads', prefix: 'prod/' });
 * const zap = new Zap({ agents, payloadCodec: new ClaimCheckCodec({ store, thresholdBytes: 128 * 1024 }) });
 * ```
 */
export type { PayloadStore } from './payload-store';
export { FileSystemPayloadStore, type FileSystemPayloadStoreOptions } from './file-system-payload-store';
export { S3PayloadStore, DEFAULT_S3_ENDPOINT_REGION, type S3PayloadStoreOptions } from './s3-payload-store';
export {
  ClaimCheckCodec,
  CLAIM_CHECK_ENCODING,
  DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
  isClaimCheckReference,
  type ClaimCheckCodecOptions,
} from './claim-check-codec';
export { chainPayloadCodecs } from './chain-payload-codecs';
export { PayloadStoreError, type PayloadStoreErrorOptions, type PayloadStoreFailure } from './payload-store-error';
