import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.ModelPriceUnknown;

/** Options of {@link ModelPriceUnknownError}. */
export interface ModelPriceUnknownErrorOptions {
  model: string;
  /** The agent using the model, when known. @default undefined */
  agentName?: string;
  /** @default "A USD budget needs the price of model '<model>', which is unknown: …" */
  message?: string;
  cause?: unknown;
}

/**
 * A task with a USD budget (`budget: { maxUsd }`) for a model whose price neither the Zap's
 * `prices` nor the bundled price data (`@pydantic/genai-prices`) knows. Refused when the task is
 * started (nothing runs); add the model to `prices` (US dollars per million tokens).
 *
 * @example
 * ```ts
 * new Zap({ agents, prices: { 'my-finetune': { input: 0.3, output: 1.2 } } });
 * ```
 */
export class ModelPriceUnknownError extends ZapError {
  readonly model: string;
  readonly agentName: string | undefined;

  constructor({ model, agentName, message, cause }: ModelPriceUnknownErrorOptions) {
    super({
      code: CODE,
      message:
        message ??
        `A USD budget needs the price of model '${model}'${agentName ? ` (agent '${agentName}')` : ''}, which is unknown: ` +
          `add it to the Zap's \`prices\` ({ '${model}': { input, output } } in US dollars per million tokens).`,
      cause,
    });
    this.model = model;
    this.agentName = agentName;
  }

  static override isInstance(error: unknown): error is ModelPriceUnknownError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
