import { ZapError } from '../core/errors';

const CODE = 'PAYLOAD_STORE';

/**
 * Why a payload could not be stored or read back:
 * - `missing`: the store has no object under the key (deleted, expired by a lifecycle rule, or a
 *   store on another host);
 * - `corrupted`: the object's size or SHA-256 differs from the reference's;
 * - `unavailable`: the store failed (network, permissions, disk);
 * - `invalid-reference`: a claim-check reference payload is malformed.
 */
export type PayloadStoreFailure = 'missing' | 'corrupted' | 'unavailable' | 'invalid-reference';

/**
 * A payload offloaded by `ClaimCheckCodec` could not be written to or read from its store.
 * Never answered with a placeholder: a worker that cannot read a payload fails its workflow or
 * activity task (Temporal retries it), and a client gets this error.
 */
export class PayloadStoreError extends ZapError {
  /** The store key involved (`sha256/<hex>`), when known. */
  readonly key: string | undefined;
  /** What went wrong. */
  readonly failure: PayloadStoreFailure;
  /** Where the store keeps its objects (`s3://bucket/prefix`, a directory), when it says. */
  readonly location: string | undefined;

  constructor(
    message: string,
    options: { failure: PayloadStoreFailure; key?: string; location?: string; cause?: unknown },
  ) {
    super(CODE, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.failure = options.failure;
    this.key = options.key;
    this.location = options.location;
  }

  static override isInstance(error: unknown): error is PayloadStoreError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
