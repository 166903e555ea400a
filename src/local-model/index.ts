/**
 * A real model on this machine's CPU behind an OpenAI-compatible endpoint (`zap-agents/local-model`):
 * llama.cpp through the optional peer dependency `node-llama-cpp`, with grammar-constrained tool
 * calls. For development and tests without an API key.
 *
 * @module
 * @example
 * ```ts
 * import { LocalModelServer } from 'zap-agents/local-model';
 * const model = await LocalModelServer.start({ modelPath: 'models/SmolLM2-135M-Instruct-Q4_1.gguf' });
 * const zap = new Zap({ agents, llm: { baseURL: model.baseURL, apiKey: 'local' } });
 * ```
 */
export { LocalModelServer } from './local-model-server';
export type { LocalModelServerOptions, LocalModelStatistics } from './local-model-server';
