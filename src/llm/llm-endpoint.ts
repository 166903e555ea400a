/** Where model calls go: any OpenAI-compatible endpoint (OpenAI, a LiteLLM proxy, vLLM, …). */
export interface LlmEndpointOptions {
  /** @default process.env.OPENAI_BASE_URL, else the OpenAI API */
  baseURL?: string;
  /** Read on the worker only; never sent into workflow history. @default process.env.OPENAI_API_KEY */
  apiKey?: string;
  /** Extra headers on every request (e.g. a LiteLLM virtual key header). @default {} */
  headers?: Record<string, string>;
}

/** An endpoint with every field resolved. */
export interface ResolvedLlmEndpoint {
  baseURL: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
}

/**
 * Resolves an agent's endpoint: the agent's own fields first, then the `Zap`'s, then the
 * environment. Resolution happens on the worker, at call time.
 */
export function resolveLlmEndpoint(
  agentEndpoint: LlmEndpointOptions | undefined,
  zapEndpoint: LlmEndpointOptions | undefined,
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedLlmEndpoint {
  return {
    baseURL: agentEndpoint?.baseURL ?? zapEndpoint?.baseURL ?? nonEmpty(environment.OPENAI_BASE_URL),
    apiKey: agentEndpoint?.apiKey ?? zapEndpoint?.apiKey ?? nonEmpty(environment.OPENAI_API_KEY),
    headers: { ...zapEndpoint?.headers, ...agentEndpoint?.headers },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
