import { ZapError } from './zap-error';

const CODE = 'VISION_NOT_SUPPORTED';

/** Images were sent to an agent whose model cannot see them. Thrown before anything starts. */
export class VisionNotSupportedError extends ZapError {
  readonly agentName: string;
  readonly model: string;

  constructor(agentName: string, model: string) {
    super(
      CODE,
      `Agent '${agentName}' uses model '${model}', which does not support images. ` +
        'Use a vision model or set `supportsVision: true` on the agent.',
    );
    this.agentName = agentName;
    this.model = model;
  }

  static override isInstance(error: unknown): error is VisionNotSupportedError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
