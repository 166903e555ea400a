/**
 * When no model endpoint is configured, the quickstart serves this scripted OpenAI-compatible
 * model on 127.0.0.1 so it still runs end to end over real HTTP: it asks for `get_weather`,
 * then answers from the tool's result.
 */
import { ScriptedLlmServer, scripted, type ScriptedRequest } from 'zap-agents/testing';

export async function startDemoModel(): Promise<ScriptedLlmServer> {
  return ScriptedLlmServer.start({ handler: answer });
}

function answer(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return scripted.text(`Here is the current weather. ${String(last.content)}.`);
  const question = String(last?.content ?? '');
  const city = /\bin ([A-Z][a-zA-Z]+)/.exec(question)?.[1] ?? 'Paris';
  return scripted.toolCalls([{ name: 'get_weather', arguments: { city } }]);
}
