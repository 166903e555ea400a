import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PayloadEncryption;

/** Options of {@link PayloadEncryptionError}. */
export interface PayloadEncryptionErrorOptions {
  message: string;
  /** Id of the key involved, when known. */
  keyId?: string;
  cause?: unknown;
}

/**
 * A payload could not be encrypted or decrypted: its key id is not in the key ring, the key is
 * wrong, the data was altered, or the keys themselves are invalid. Never retried silently: a
 * process without the right key must fail, not read or write plaintext.
 */
export class PayloadEncryptionError extends ZapError {
  /** Id of the key involved, when known. */
  readonly keyId: string | undefined;

  constructor({ message, keyId, cause }: PayloadEncryptionErrorOptions) {
    super({ code: CODE, message, cause });
    this.keyId = keyId;
  }

  static override isInstance(error: unknown): error is PayloadEncryptionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
