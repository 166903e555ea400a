/**
 * Agents driving zap-agents through MCP: a Coordinator agent whose MCP client is zap-agents' own
 * MCP server (stdio) starts a Researcher task with `start_task`, follows it with
 * `wait_for_task`, and reports the answer. Both are durable tasks on Temporal: the Researcher
 * task is a task like any other (visible to `zap.getTask`, the CLI, the HTTP API), not a
 * sub-agent child, so it would outlive the Coordinator.
 *
 *   npm run example:agents-driving-zap      (or: npx tsx examples/agents-driving-zap/main.ts)
 *
 * Without OPENAI_API_KEY / OPENAI_BASE_URL a scripted model plays both agents; the example checks
 * its own result and exits non-zero when it is wrong.
 */
import { scripted, type ScriptedRequest } from 'zap-agents/testing';
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';
import { createExampleZap } from './zap';

const QUESTION = 'At what temperature does water boil at sea level?';
const RESEARCH_ANSWER = 'Water boils at 100 °C (212 °F) at sea level.';

/** Plays both agents when no endpoint is configured, telling them apart by their system prompt. */
function demoModel(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  if (messages[0]?.content.startsWith('You research')) return scripted.text(RESEARCH_ANSWER);
  const toolResults = messages.filter((message) => message.role === 'tool').map((message) => JSON.parse(message.content));
  if (toolResults.length === 0) {
    return scripted.toolCalls([{ name: 'start_task', arguments: { agent: 'Researcher', message: QUESTION } }]);
  }
  const [started, waited] = toolResults as [{ taskId: string }, { outcome: string; task: { result?: string } } | undefined];
  if (!waited) return scripted.toolCalls([{ name: 'wait_for_task', arguments: { taskId: started.taskId, timeoutSeconds: 30 } }]);
  return scripted.text(
    waited.outcome === 'completed' ? `The Researcher says: ${waited.task.result}` : `The research did not finish (${waited.outcome}).`,
  );
}

runExample('Agents driving zap example', async () => {
  const environment = await prepareExampleEnvironment(demoModel);
  const zap = createExampleZap();
  await zap.start();
  // One worker runs both agents; it starts the Coordinator's MCP server (zap-mcp-server.ts).
  const worker = await zap.createWorker();
  const running = worker.run();
  try {
    const task = await zap.executeTask({ agentName: 'Coordinator', task: QUESTION });
    let current = await zap.getTask(task.id);
    const deadline = Date.now() + 120_000;
    while (!current.isComplete() && current.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = await zap.getTask(task.id);
    }
    const calls = current.getToolCalls();
    for (const call of calls) console.log(`  ${call.name}(${JSON.stringify(call.arguments)}) → ${call.result?.slice(0, 160)}…`);
    const researcherTaskId = (JSON.parse(calls[0]?.result ?? '{}') as { taskId?: string }).taskId;
    const research = researcherTaskId ? await zap.getTask(researcherTaskId) : undefined;
    console.log(`Researcher task: ${researcherTaskId} (${research?.agentName}, ${research?.status}): ${research?.result}`);
    console.log(`Status: ${current.status}`);
    console.log(`Answer: ${current.result ?? current.error}`);
    return (
      current.status === 'completed' &&
      calls.map((call) => call.name).join(',') === 'start_task,wait_for_task' &&
      research?.agentName === 'Researcher' &&
      research.status === 'completed' &&
      current.result === `The Researcher says: ${research.result}`
    );
  } finally {
    await zap.stop();
    await running;
    await environment.close();
  }
});
