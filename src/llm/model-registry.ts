import type { ZapAgent } from '../agent/zap-agent';
import { resolveLlmEndpoint, type LlmEndpointOptions } from './llm-endpoint';
import { OpenAiChatModel } from './openai-chat-model';

/** One OpenAI client per distinct endpoint, shared by every agent that uses it. */
export class ModelRegistry {
  private readonly models = new Map<string, OpenAiChatModel>();

  constructor(private readonly zapEndpoint: LlmEndpointOptions | undefined) {}

  forAgent(agent: ZapAgent<any>): OpenAiChatModel {
    const endpoint = resolveLlmEndpoint(agent.llm, this.zapEndpoint);
    const key = JSON.stringify([endpoint.baseURL, endpoint.apiKey, endpoint.headers]);
    let model = this.models.get(key);
    if (!model) {
      model = new OpenAiChatModel(endpoint);
      this.models.set(key, model);
    }
    return model;
  }
}
