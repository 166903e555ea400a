/**
 * Delegation: a Manager agent asks a Researcher sub-agent a question with the built-in
 * `message_agent` tool, then continues the same conversation with a follow-up question.
 * Each sub-agent conversation is its own task (a child workflow) that stays open.
 *
 *   npx tsx examples/delegation/main.ts
 */
import { Zap, ZapAgent } from 'zap-agents';
import { scripted, type ScriptedRequest } from 'zap-agents/testing';
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';

interface Requester {
  team: string;
}

const manager = new ZapAgent<Requester>({
  name: 'Manager',
  prompt: ({ team }) =>
    `You coordinate work for the ${team} team. Ask the Researcher for facts with message_agent, ` +
    'then ask it one follow-up in the same conversation (pass its conversation_id), then answer.',
  model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
  subAgents: ['Researcher'],
});

const researcher = new ZapAgent<Requester>({
  name: 'Researcher',
  prompt: ({ team }) => `You research facts for the ${team} team. Answer briefly.`,
  discoveryPrompt: 'Finds facts and figures',
  model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
});

/** Plays both agents when no endpoint is configured, telling them apart by their system prompt. */
function demoModel(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  const last = messages[messages.length - 1] as { role: string; content: string };
  if (messages[0]?.content.startsWith('You research')) {
    return scripted.text(last.content.includes('population') ? 'About 2.1 million people.' : 'Paris.');
  }
  const toolResults = messages.filter((message) => message.role === 'tool');
  if (toolResults.length === 0) {
    return scripted.toolCalls([{ name: 'message_agent', arguments: { agent_name: 'Researcher', message: 'What is the capital of France?' } }]);
  }
  if (toolResults.length === 1) {
    const { conversation_id } = JSON.parse(toolResults[0]?.content ?? '{}');
    return scripted.toolCalls([{ name: 'message_agent', arguments: { conversation_id, message: 'What is its population?' } }]);
  }
  const answers = toolResults.map((result) => JSON.parse(result.content).answer).join(' ');
  return scripted.text(`From the Researcher: ${answers}`);
}

runExample('Delegation example', async () => {
  const environment = await prepareExampleEnvironment(demoModel);
  const zap = new Zap<Requester>({ agents: [manager, researcher], taskQueue: 'zap-example-delegation' });
  await zap.start();
  const worker = await zap.createWorker();
  const running = worker.run();
  try {
    const task = await zap.executeTask({
      agentName: 'Manager',
      task: 'What is the capital of France, and how many people live there?',
      context: { team: 'travel' },
    });
    let current = await zap.getTask(task.id);
    const deadline = Date.now() + 120_000;
    while (!current.isComplete() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      current = await zap.getTask(task.id);
    }
    const subTasks = await current.getSubTasks();
    for (const call of current.getToolCalls()) console.log(`  ${call.name}(${JSON.stringify(call.arguments)}) → ${call.result}`);
    console.log(`Sub-tasks: ${subTasks.map((sub) => `${sub.id} (${sub.agentName}, ${sub.turnCount()} turns)`).join(', ')}`);
    console.log(`Status: ${current.status}`);
    console.log(`Answer: ${current.result ?? current.error}`);
    // One sub-conversation, continued: the Researcher task has two turns.
    return current.status === 'completed' && subTasks.length === 1 && subTasks[0]?.turnCount() === 2;
  } finally {
    await zap.stop();
    await running;
    await environment.close();
  }
});
