import type { ScriptedRequest, ScriptedResponse, ScriptHandler } from '../../src/testing/scripted-llm-server';

/**
 * Routes scripted model responses by agent: each request goes to the script of the agent whose
 * system prompt starts the conversation. Lets one scripted server play several agents at once
 * (a parent and its sub-agents) regardless of the order their calls arrive in.
 */
export class AgentRouter {
  private readonly scripts = new Map<string, Array<ScriptedResponse | ((request: ScriptedRequest) => ScriptedResponse)>>();

  /** Queues responses for the agent whose system prompt starts with `promptPrefix`. */
  enqueue(promptPrefix: string, ...responses: Array<ScriptedResponse | ((request: ScriptedRequest) => ScriptedResponse)>): void {
    const queue = this.scripts.get(promptPrefix) ?? [];
    queue.push(...responses);
    this.scripts.set(promptPrefix, queue);
  }

  reset(): void {
    this.scripts.clear();
  }

  readonly handler: ScriptHandler = (request) => {
    const systemPrompt = String(request.body?.messages?.[0]?.content ?? '');
    for (const [prefix, queue] of this.scripts) {
      if (!systemPrompt.startsWith(prefix)) continue;
      const next = queue.shift();
      if (!next) break;
      return typeof next === 'function' ? next(request) : next;
    }
    return { kind: 'error', status: 500, message: `no scripted response for system prompt: ${systemPrompt.slice(0, 60)}` };
  };
}

/** The last message of a recorded request. */
export function lastMessage(request: ScriptedRequest): { role: string; content: string; tool_call_id?: string } {
  const messages = request.body.messages as Array<{ role: string; content: string; tool_call_id?: string }>;
  return messages[messages.length - 1] as { role: string; content: string; tool_call_id?: string };
}
