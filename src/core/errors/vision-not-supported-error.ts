import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.VisionNotSupported;

/** Options of {@link VisionNotSupportedError}. */
export interface VisionNotSupportedErrorOptions {
  agentName: string;
  /** The agent's model. */
  model: string;
  /** @default "Agent '<agentName>' uses model '<model>', which does not support images. …" */
  message?: string;
  cause?: unknown;
}

/** Images were sent to an agent whose model cannot see them. Thrown before anything starts. */
export class VisionNotSupportedError extends ZapError {
  readonly agentName: string;
  readonly model: string;

  constructor({ agentName, model, message, cause }: VisionNotSupportedErrorOptions) {
    super({
      code: CODE,
      message:
        message ??
        `Agent '${agentName}' uses model '${model}', which does not support images. ` +
          'Use a vision model or set `supportsVision: true` on the agent.',
      cause,
    });
    this.agentName = agentName;
    this.model = model;
  }

  static override isInstance(error: unknown): error is VisionNotSupportedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
