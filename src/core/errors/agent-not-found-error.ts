import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.AgentNotFound;

/** Options of {@link AgentNotFoundError}. */
export interface AgentNotFoundErrorOptions {
  agentName: string;
  /** Names of the agents that are registered, listed in the default message. @default [] */
  knownAgents?: readonly string[];
  /** @default "Agent '<agentName>' is not registered. Known agents: <knownAgents>." */
  message?: string;
  cause?: unknown;
}

/** No agent with this name is registered on the `Zap`. */
export class AgentNotFoundError extends ZapError {
  readonly agentName: string;
  /** The agents that are registered. */
  readonly knownAgents: readonly string[];

  constructor({ agentName, knownAgents = [], message, cause }: AgentNotFoundErrorOptions) {
    const known = knownAgents.length > 0 ? ` Known agents: ${knownAgents.join(', ')}.` : '';
    super({ code: CODE, message: message ?? `Agent '${agentName}' is not registered.${known}`, cause });
    this.agentName = agentName;
    this.knownAgents = knownAgents;
  }

  static override isInstance(error: unknown): error is AgentNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
