/**
 * A pipeline: research, then write, then a human approves, then publish. One durable workflow
 * runs the four steps; each agent step is a child task answering in JSON of its schema, and
 * `ctx.prev` is typed from those schemas. Here the "human" is this script, which reads the gate's
 * message and approves it.
 *
 *   npm run example:pipeline      (or npx tsx examples/pipeline/main.ts)
 */
import { z } from 'zod';
import { Zap, ZapAgent, tool } from 'zap-agents';
import { pipeline } from 'zap-agents/pipelines';
import { scripted, type ScriptedRequest } from 'zap-agents/testing';
import { prepareExampleEnvironment, runExample } from '../shared/example-environment';

const model = process.env.ZAP_MODEL ?? 'gpt-4o-mini';
const published: Array<{ title: string; body: string }> = [];

const Research = z.object({ title: z.string(), keyPoints: z.array(z.string()) });
const Draft = z.object({ title: z.string(), body: z.string() });

const researcher = new ZapAgent({ name: 'Researcher', prompt: 'You research topics for a tech blog. Answer in JSON.', model });
const writer = new ZapAgent({ name: 'Writer', prompt: 'You write short, clear blog posts. Answer in JSON.', model });
const publisher = new ZapAgent({
  name: 'Publisher',
  prompt: 'You publish approved posts with the publish_post tool, then say where the post is.',
  model,
  tools: [
    tool({
      name: 'publish_post',
      description: 'Publishes a post on the blog and returns its URL',
      parameters: z.object({ title: z.string(), body: z.string() }),
      execute: ({ title, body }) => {
        published.push({ title, body });
        return `https://blog.example.com/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      },
    }),
  ],
});

export const publishPost = pipeline('publish-post', { input: z.object({ topic: z.string().min(1) }) })
  .step('research', {
    agent: 'Researcher',
    input: (ctx) => `Research "${ctx.workflow.input.topic}": a post title and three key points.`,
    output: Research,
  })
  .step('write', {
    agent: 'Writer',
    input: (ctx) => `Write a post titled "${ctx.prev.research.title}" covering: ${ctx.prev.research.keyPoints.join('; ')}.`,
    output: Draft,
  })
  .gate('approve', {
    approval: { message: (ctx) => `Publish "${ctx.prev.write.title}" (${ctx.prev.write.body.length} characters)?`, timeout: '1 day' },
  })
  .step('publish', { agent: 'Publisher', input: (ctx) => `Publish this post:\n${JSON.stringify(ctx.prev.write)}` });

/** Plays the three agents when no endpoint is configured, telling them apart by their system prompt. */
function demoModel(request: ScriptedRequest) {
  const messages = request.body.messages as Array<{ role: string; content: string }>;
  const system = messages[0]?.content ?? '';
  const last = messages[messages.length - 1]?.content ?? '';
  if (system.startsWith('You research')) {
    return scripted.json({
      title: 'Durable agents on Temporal',
      keyPoints: ['every model call is an activity', 'a crash loses nothing', 'humans approve in the middle'],
    });
  }
  if (system.startsWith('You write')) {
    const title = /titled "([^"]+)"/.exec(last)?.[1] ?? 'Untitled';
    return scripted.json({ title, body: `${title}: each step of an agent survives crashes, and a person can approve in the middle.` });
  }
  if (!messages.some((message) => message.role === 'tool')) {
    return scripted.toolCalls([{ name: 'publish_post', arguments: JSON.parse(last.slice(last.indexOf('\n') + 1)) }]);
  }
  return scripted.text(`Published at ${messages[messages.length - 1]?.content}`);
}

runExample('Pipeline example', async () => {
  const environment = await prepareExampleEnvironment(demoModel);
  const zap = new Zap({ agents: [researcher, writer, publisher], pipelines: [publishPost], taskQueue: 'zap-example-pipeline' });
  await zap.start();
  const worker = await zap.createWorker();
  const running = worker.run();
  try {
    const started = await zap.startPipeline('publish-post', { topic: 'durable AI agents' });
    console.log(`Run ${started.id}: ${started.stepCount} steps`);

    let run = started;
    const deadline = Date.now() + 120_000;
    while (!run.isComplete() && Date.now() < deadline) {
      if (run.pendingApproval) {
        console.log(`Gate '${run.pendingStep}': ${run.approvalMessage} — approving as "editor-in-chief"`);
        if (published.length > 0) throw new Error('the post was published before it was approved');
        await zap.approve(run.id, run.pendingApproval.id, { approvedBy: 'editor-in-chief' });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      run = await zap.getPipelineRun(run.id, { pipeline: 'publish-post' });
    }
    for (const step of run.steps) console.log(`  ${step.name.padEnd(8)} ${step.status}${step.iterations ? ` (${step.iterations} model call(s))` : ''}`);
    // Typed outputs: no casts.
    const research = run.outputs.research;
    const draft = run.outputs.write;
    console.log(`Research: ${research?.title} — ${research?.keyPoints.length} key points`);
    console.log(`Draft: ${draft?.title}`);
    console.log(`Publish: ${run.outputs.publish}`);
    return (
      run.status === 'complete' &&
      published.length === 1 &&
      published[0]?.title === draft?.title &&
      run.step('approve')?.gate?.decision === 'approved' &&
      run.step('approve')?.gate?.decidedBy === 'editor-in-chief'
    );
  } finally {
    await zap.stop();
    await running;
    await environment.close();
  }
});
