/**
 * Encryption of everything Temporal stores (`zap-agents/codec`): an AES-256-GCM payload codec with
 * key ids and rotation, and a codec server so the Temporal Web UI can show decrypted payloads.
 *
 * @module
 * @example
 * ```ts
 * import { AesGcmPayloadCodec, startCodecServer } from 'zap-agents/codec';
 * const payloadCodec = AesGcmPayloadCodec.fromEnvironment(); // ZAP_ENCRYPTION_KEYS, ZAP_ENCRYPTION_KEY_ID
 * const zap = new Zap({ agents, payloadCodec });
 * await startCodecServer({ codec: payloadCodec, port: 8888 });
 * ```
 */
export {
  AesGcmPayloadCodec,
  ENCRYPTED_PAYLOAD_ENCODING,
  ENCRYPTION_KEY_ID_METADATA_KEY,
} from './aes-gcm-payload-codec';
export type { AesGcmPayloadCodecOptions } from './aes-gcm-payload-codec';
export { ENCRYPTION_KEYS_VARIABLE, ENCRYPTION_KEY_ID_VARIABLE } from './encryption-keys';
export type { EncryptionKey } from './encryption-keys';
export {
  startCodecServer,
  DEFAULT_CODEC_SERVER_HOST,
  DEFAULT_CODEC_SERVER_PORT,
  DEFAULT_CODEC_SERVER_ORIGINS,
} from './codec-server';
export type { CodecServer, CodecServerOptions } from './codec-server';
export { PayloadEncryptionError } from '../core/errors/payload-encryption-error';
