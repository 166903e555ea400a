import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PayloadStore;

/**
 * Why a payload could not be stored or read back:
 * - `missing`: the store has no object under the key (deleted, expired by a lifecycle rule, or a
 *   store on another host);
 * - `corrupted`: the object's size or SHA-256 differs from the reference's;
 * - `unavailable`: the store failed (network, permissions, disk);
 * - `invalid-reference`: a claim-check reference payload is malformed.
 */
export type PayloadStoreFailure = 'missing' | 'corrupted' | 'unavailable' | 'invalid-reference';

/** Options of {@link PayloadStoreError}. */
export interface PayloadStoreErrorOptions {
  message: string;
  /** What went wrong. */
  failure: PayloadStoreFailure;
  /** The store key involved (`sha256/<hex>`), when known. */
  key?: string;
  /** Where the store keeps its objects, when it says. */
  location?: string;
  cause?: unknown;
}

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

  constructor({ message, failure, key, location, cause }: PayloadStoreErrorOptions) {
    super({ code: CODE, message, cause });
    this.failure = failure;
    this.key = key;
    this.location = location;
  }

  static override isInstance(error: unknown): error is PayloadStoreError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
