import { ZapConfigurationError } from '../core/errors';

const AGENT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws unless `name` is 1–100 chars of `[A-Za-z0-9_-]`. */
export function validateAgentName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || !AGENT_NAME_PATTERN.test(name)) {
    throw new ZapConfigurationError({
      message: `${where}: agent name ${JSON.stringify(name)} is invalid; use 1–100 characters of A-Z, a-z, 0-9, '_' and '-'.`,
    });
  }
}

/** Throws unless `name` is a valid function-tool name for OpenAI-compatible APIs. */
export function validateToolName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || !TOOL_NAME_PATTERN.test(name)) {
    throw new ZapConfigurationError({
      message: `${where}: tool name ${JSON.stringify(name)} is invalid; use 1–64 characters of A-Z, a-z, 0-9, '_' and '-'.`,
    });
  }
}
