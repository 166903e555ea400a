/**
 * Type tests of pipelines, checked by `tsc -p tsconfig.json` (part of `npm test`): each
 * `@ts-expect-error` line must fail to compile, and every other line must compile. They prove
 * that `ctx.prev` is typed from the output schemas of the earlier steps (with no cast), and that
 * runs started by name have typed inputs and outputs.
 */
import { z } from 'zod';
import { Zap, ZapAgent } from '../../src';
import { pipeline, type PipelineOutputs, type PipelineRun } from '../../src/pipelines';

const Research = z.object({ title: z.string(), sources: z.array(z.string()) });
const Draft = z.object({ title: z.string(), words: z.number() });
const Input = z.object({ topic: z.string(), audience: z.string().default('engineers') });

export const publishPost = pipeline('publish-post', { input: Input })
  .step('research', {
    agent: 'Researcher',
    input: (ctx) => {
      // The validated input: the schema's output side (defaults filled).
      const audience: string = ctx.workflow.input.audience;
      // @ts-expect-error no earlier step: prev has no research yet
      void ctx.prev.research;
      return `Research ${ctx.workflow.input.topic} for ${audience}`;
    },
    output: Research,
  })
  .gate('review', {
    approval: {
      message: (ctx) => {
        const sources: string[] = ctx.prev.research.sources;
        // @ts-expect-error a later step's output is not there yet
        void ctx.prev.write;
        return `Review ${ctx.prev.research.title} (${sources.length} sources)?`;
      },
      timeout: '2 days',
    },
  })
  .step('write', {
    agent: 'Writer',
    input: (ctx) => {
      // @ts-expect-error title is a string, not a number
      const wrong: number = ctx.prev.research.title;
      void wrong;
      // @ts-expect-error the research output has no such field
      void ctx.prev.research.summary;
      // Gates add no output.
      // @ts-expect-error a gate has no output
      void ctx.prev.review;
      return { message: ctx.prev.research.title, context: { sources: ctx.prev.research.sources } };
    },
    output: Draft,
  })
  .step('announce', {
    agent: 'Writer',
    input: (ctx) => `Announce "${ctx.prev.write.title}" (${ctx.prev.write.words.toFixed(0)} words)`,
  });

// A step without an output schema outputs its answer text.
type Outputs = PipelineOutputs<typeof publishPost>;
export const announcement: Outputs['announce'] = 'text';
// @ts-expect-error a text step's output is a string
export const notText: Outputs['announce'] = 42;
export const words: Outputs['write']['words'] = 1200;

// @ts-expect-error step names are unique: the type of a taken name is never
export const duplicate = publishPost.step('write', { agent: 'Writer' });
// @ts-expect-error an input function returns a string or { message, context? }
export const badInput = pipeline('p', { input: Input }).step('s', { agent: 'A', input: () => 42 });
// @ts-expect-error a gate's message is a string or a function returning one
export const badGate = pipeline('p', { input: Input }).gate('g', { approval: { message: 7 } });
// @ts-expect-error an agent step needs its agent
export const noAgent = pipeline('p', { input: Input }).step('s', { input: () => 'x' });

const triage = pipeline('triage', { input: z.object({ ticket: z.number() }) }).step('classify', {
  agent: 'Researcher',
  output: z.object({ priority: z.enum(['low', 'high']) }),
});

const agents = [new ZapAgent({ name: 'Researcher', prompt: 'p' }), new ZapAgent({ name: 'Writer', prompt: 'p' })];
export const zap = new Zap({ agents, pipelines: [publishPost, triage] });

export async function typedRuns(): Promise<void> {
  // By name: the input is the schema's input side (defaults optional), the outputs are typed.
  const run = await zap.startPipeline('publish-post', { topic: 'durable agents' });
  const title: string | undefined = run.outputs.research?.title;
  const draftWords: number | undefined = run.outputs.write?.words;
  const text: string | undefined = run.outputs.announce;
  void title;
  void draftWords;
  void text;
  // @ts-expect-error outputs of steps may be missing until the run gets there
  void run.outputs.research.title;
  // @ts-expect-error no such step
  void run.outputs.publish;
  // @ts-expect-error the input misses its topic
  await zap.startPipeline('publish-post', { audience: 'everyone' });
  // @ts-expect-error the input of another pipeline
  await zap.startPipeline('publish-post', { ticket: 7 });
  // @ts-expect-error no pipeline of this name is registered
  await zap.startPipeline('publish', { topic: 'x' });

  const classified = await zap.startPipeline('triage', { ticket: 7 }, { runId: 'ticket-7', tenantId: 'acme' });
  const priority: 'low' | 'high' | undefined = classified.outputs.classify?.priority;
  void priority;

  // By definition: the same types.
  const byDefinition: PipelineRun<PipelineOutputs<typeof triage>> = await zap.startPipeline(triage, { ticket: 8 });
  void byDefinition;

  // Reading a run names its pipeline to type its outputs; without it they are unknown.
  const read = await zap.getPipelineRun(run.id, { pipeline: 'publish-post' });
  const readTitle: string | undefined = read.outputs.write?.title;
  void readTitle;
  const untyped = await zap.getPipelineRun(run.id);
  // @ts-expect-error unknown, not any
  void untyped.outputs.write.title;
}

// A Zap typed without its pipelines takes any name and input, and types no output.
declare const loose: Zap;
export async function untypedRuns(): Promise<void> {
  const run = await loose.startPipeline('anything', { any: 'input' });
  const output: unknown = run.outputs.anything;
  void output;
  // @ts-expect-error unknown, not any
  void run.outputs.anything.field;
}
