import { createHmac, timingSafeEqual } from 'node:crypto';

/** Prefix of the `x-zap-signature` header value: the algorithm. */
const SIGNATURE_PREFIX = 'sha256=';

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /** The request body exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** The `x-zap-signature` header (`sha256=<hex>`); undefined or null when the request had none. */
  signature: string | null | undefined;
  /** The secret shared with `webhookNotifier({ secret })`. */
  secret: string;
}

/**
 * The `x-zap-signature` value of a webhook body: `sha256=` and the hex HMAC-SHA256 of the raw
 * body under the shared secret.
 */
export function signWebhookBody(body: string | Uint8Array, secret: string): string {
  return `${SIGNATURE_PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * True when `signature` is the signature of `body` under `secret`, compared in constant time. For
 * receivers of `webhookNotifier()` deliveries: verify the raw body before trusting it, then use
 * its `deliveryId` (also the `x-zap-delivery` header) to ignore a delivery you already handled.
 *
 * @example
 * ```ts
 * const body = await request.text();
 * if (!verifyWebhookSignature({ body, signature: request.headers.get('x-zap-signature'), secret })) return new Response(null, { status: 401 });
 * ```
 */
export function verifyWebhookSignature({ body, signature, secret }: VerifyWebhookSignatureOptions): boolean {
  if (typeof signature !== 'string' || !signature.startsWith(SIGNATURE_PREFIX)) return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
