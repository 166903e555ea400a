/**
 * Test helpers that ship with zap-agents (`zap-agents/testing`): a scripted OpenAI-compatible
 * LLM server and a local Temporal dev server.
 *
 * @example
 * ```ts
 * import { ScriptedLlmServer, scripted, TemporalDevServer } from 'zap-agents/testing';
 *
 * const temporal = await TemporalDevServer.start();
 * const llm = await ScriptedLlmServer.start({ script: [scripted.text('Hello!')] });
 * const zap = new Zap({ agents, temporal: { address: temporal.address }, llm: { baseURL: llm.baseURL } });
 * ```
 */
export * from './scripted-llm-server';
export * from './temporal-dev-server';
export * from './replay-histories';
