/**
 * The scripted stand-in for a model when no endpoint is configured: it asks for `get_weather`,
 * then answers from the tool's result, over real OpenAI-compatible HTTP.
 */
import { scripted, type ScriptedRequest, type ScriptedResponse } from 'zap-agents/testing';

export function demoWeatherModel(request: ScriptedRequest): ScriptedResponse {
  const messages = request.body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return scripted.text(`Here is the current weather. ${String(last.content)}.`);
  const question = String(last?.content ?? '');
  const city = /\bin ([A-Z][a-zA-Z]+)/.exec(question)?.[1] ?? 'Paris';
  return scripted.toolCalls([{ name: 'get_weather', arguments: { city } }]);
}
