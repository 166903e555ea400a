import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { ZapConfigurationError } from '../core/errors';

/**
 * One `PayloadCodec` made of several, in Temporal's `payloadCodecs` order: encoding runs them
 * first to last, decoding last to first. Zap takes one `payloadCodec`; this is how to give it
 * encryption and a claim check together.
 *
 * Put encryption first, so the payload store holds ciphertext and Temporal holds only the
 * reference (store key, hash and size of the ciphertext):
 *
 * @example
 * ```ts
 * const payloadCodec = chainPayloadCodecs([
 *   AesGcmPayloadCodec.fromEnvironment(),
 *   new ClaimCheckCodec({ store: new S3PayloadStore({ bucket: 'zap-payloads' }) }),
 * ]);
 * const zap = new Zap({ agents, payloadCodec });
 * await startCodecServer({ codec: payloadCodec }); // the Web UI sees the decrypted originals
 * ```
 */
export function chainPayloadCodecs(codecs: readonly PayloadCodec[]): PayloadCodec {
  if (!Array.isArray(codecs) || codecs.length === 0) {
    throw new ZapConfigurationError({ message: 'chainPayloadCodecs needs at least one codec.' });
  }
  for (const codec of codecs) {
    if (!codec || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
      throw new ZapConfigurationError({ message: 'chainPayloadCodecs takes PayloadCodecs with encode() and decode().' });
    }
  }
  const chain = [...codecs];
  return {
    async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
      for (const codec of chain) payloads = await codec.encode(payloads, context);
      return payloads;
    },
    async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
      for (const codec of [...chain].reverse()) payloads = await codec.decode(payloads, context);
      return payloads;
    },
  };
}
