import { ZapError } from './zap-error';

const CODE = 'AGENT_NOT_FOUND';

/** No agent with this name is registered on the `Zap`. */
export class AgentNotFoundError extends ZapError {
  readonly agentName: string;

  constructor(agentName: string, knownAgents: readonly string[] = []) {
    const known = knownAgents.length > 0 ? ` Known agents: ${knownAgents.join(', ')}.` : '';
    super(CODE, `Agent '${agentName}' is not registered.${known}`);
    this.agentName = agentName;
  }

  static override isInstance(error: unknown): error is AgentNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
