import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ZapAgent, ZapConfigurationError } from '../../src';
import { createPipelineStepActivities, defaultStepMessage } from '../../src/activities/build-pipeline-step';
import { compileZapOptions } from '../../src/client/zap-options';
import { FailureType } from '../../src/core/failure-types';
import { upgradePipelineInput, type PipelineWorkflowInput } from '../../src/core/pipeline-state';
import { PipelineDefinitionError, pipeline } from '../../src/pipelines';

const Research = z.object({ title: z.string(), summary: z.string() });
const topicInput = z.object({ topic: z.string() });

const researcher = new ZapAgent({ name: 'Researcher', prompt: 'You research.', model: 'scripted-model' });
const writer = new ZapAgent({ name: 'Writer', prompt: (context: unknown) => `You write for ${JSON.stringify(context)}.`, model: 'scripted-model' });

function definitionError(run: () => unknown): PipelineDefinitionError {
  try {
    run();
  } catch (error) {
    if (PipelineDefinitionError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a PipelineDefinitionError');
}

describe('pipeline definitions', () => {
  test('each step returns a new frozen definition; earlier definitions are unchanged', () => {
    const base = pipeline('publish-post', { input: topicInput });
    const one = base.step('research', { agent: 'Researcher', output: Research });
    const two = one.gate('review', { approval: { message: 'Go on?', timeout: '2 days' } });
    expect(base.steps).toEqual([]);
    expect(one.steps.map((step) => step.name)).toEqual(['research']);
    expect(two.steps.map((step) => [step.name, step.kind])).toEqual([
      ['research', 'agent'],
      ['review', 'gate'],
    ]);
    expect(Object.isFrozen(two)).toBe(true);
    expect(Object.isFrozen(two.steps)).toBe(true);
    expect(Object.isFrozen(two.steps[0])).toBe(true);
    expect(() => (two.steps as unknown[]).push({})).toThrow(TypeError);
    expect(two.steps[1]).toMatchObject({ kind: 'gate', timeoutMs: 2 * 24 * 60 * 60 * 1000 });
    // The output schema is compiled to JSON Schema once, when the step is defined.
    expect(two.steps[0]).toMatchObject({ kind: 'agent', agent: 'Researcher', output: { name: 'output', strict: true } });
  });

  test('a step with approval and no agent is a gate; a gate without timeout waits 7 days', () => {
    const definition = pipeline('p', { input: topicInput }).step('review', { approval: { message: (ctx) => `Check ${ctx.workflow.input.topic}` } });
    expect(definition.steps[0]).toMatchObject({ kind: 'gate', name: 'review', timeoutMs: 7 * 24 * 60 * 60 * 1000 });
  });

  test.each([['Publish'], ['publish post'], ['1-step'], ['-x'], ['a'.repeat(65)], ['']])('refuses the pipeline name %j', (name) => {
    const error = definitionError(() => pipeline(name, { input: topicInput }));
    expect(error.pipelineName).toBe(name);
    expect(error.stepName).toBeUndefined();
    expect(error.message).toContain('^[a-z][a-z0-9-]*$');
  });

  test('refuses an input that is not a zod schema', () => {
    const error = definitionError(() => pipeline('p', { input: { topic: 'string' } as never }));
    expect(error.message).toBe("Pipeline 'p': `input` must be a zod schema of the pipeline input (z.object({ … })).");
  });

  test.each([['Research'], ['re search'], ['2nd'], ['step_one']])('refuses the step name %j, naming it', (name) => {
    const error = definitionError(() => pipeline('p', { input: topicInput }).step(name, { agent: 'Researcher' }));
    expect(error).toMatchObject({ pipelineName: 'p', stepName: name });
    expect(error.message).toMatch(new RegExp(`^Pipeline 'p', step '${name}': step name`));
  });

  test('refuses two steps with one name (agent step or gate), naming the step', () => {
    const once = pipeline('p', { input: topicInput }).step('research', { agent: 'Researcher' });
    // @ts-expect-error the type of the name is never once a step has it
    const error = definitionError(() => once.step('research', { agent: 'Writer' }));
    expect(error).toMatchObject({ pipelineName: 'p', stepName: 'research' });
    expect(error.message).toBe("Pipeline 'p', step 'research': two steps have this name; step names must be unique.");
    // @ts-expect-error gates share the names of steps
    expect(definitionError(() => once.gate('research', { approval: { message: 'ok?' } })).stepName).toBe('research');
  });

  test.each([
    ['no options', undefined, 'needs options'],
    ['neither agent nor approval', {}, 'needs `agent`'],
    ['both agent and approval', { agent: 'Researcher', approval: { message: 'ok?' } }, 'has both `agent` and `approval`'],
    ['a gate with an input function', { approval: { message: 'ok?' }, input: () => 'x' }, 'a gate takes only `approval`'],
    ['a gate without a message', { approval: { message: '  ' } }, '`approval.message` must be a non-empty string or a function'],
    ['a gate with a bad timeout', { approval: { message: 'ok?', timeout: 'soon' } }, 'approval.timeout: "soon" is not a duration'],
    ['an input that is not a function', { agent: 'Researcher', input: 'Research it' }, '`input` must be a function'],
    ['an output JSON Schema cannot express', { agent: 'Researcher', output: z.object({ at: z.date() }) }, 'cannot be converted to JSON Schema'],
    ['an output that is not a schema', { agent: 'Researcher', output: { title: 'string' } }, 'must be a zod schema'],
  ])('refuses a step with %s, naming it', (_case, options, problem) => {
    const error = definitionError(() => pipeline('p', { input: topicInput }).step('broken', options as never));
    expect(error).toMatchObject({ pipelineName: 'p', stepName: 'broken', code: FailureType.PipelineDefinition });
    expect(error.problem).toContain(problem);
  });
});

describe('registering pipelines on a Zap', () => {
  const agents = [researcher, writer];
  const publish = pipeline('publish-post', { input: topicInput }).step('research', { agent: 'Researcher' }).step('write', { agent: 'Writer' });

  test('compiles registered pipelines by name', () => {
    expect([...compileZapOptions({ agents, pipelines: [publish] }).pipelines.keys()]).toEqual(['publish-post']);
    expect(compileZapOptions({ agents }).pipelines.size).toBe(0);
  });

  test('refuses a pipeline without steps', () => {
    const error = definitionError(() => compileZapOptions({ agents, pipelines: [pipeline('empty', { input: topicInput })] }));
    expect(error.message).toBe("Pipeline 'empty': has no steps; add at least one with .step() or .gate().");
  });

  test('refuses a step whose agent is not registered, naming the pipeline and the step', () => {
    const orphan = pipeline('orphan', { input: topicInput }).step('edit', { agent: 'Editor' });
    expect(() => compileZapOptions({ agents, pipelines: [orphan] })).toThrow(ZapConfigurationError);
    expect(() => compileZapOptions({ agents, pipelines: [orphan] })).toThrow(
      "Pipeline 'orphan', step 'edit': agent 'Editor' is not registered. Known agents: Researcher, Writer.",
    );
  });

  test('refuses two pipelines with one name, and anything not built with pipeline()', () => {
    const again = pipeline('publish-post', { input: topicInput }).step('other', { agent: 'Writer' });
    expect(() => compileZapOptions({ agents, pipelines: [publish, again] })).toThrow("Two pipelines are named 'publish-post'.");
    expect(() => compileZapOptions({ agents, pipelines: [{ name: 'x', steps: [] } as never] })).toThrow(
      'Zap `pipelines` must be definitions built with pipeline() (from zap-agents/pipelines).',
    );
  });
});

describe('the pipeline step activities', () => {
  const Draft = z.object({ title: z.string(), words: z.number().int() }).refine((draft) => draft.words >= 100, { message: 'too short', path: ['words'] });
  const definition = pipeline('publish-post', { input: topicInput })
    .step('research', { agent: 'Researcher', output: Research })
    .step('write', {
      agent: 'Writer',
      input: (ctx) => ({ message: `Write about ${ctx.prev.research.summary}`, context: { audience: ctx.workflow.input.topic } }),
      output: Draft,
    })
    .gate('review', { approval: { message: (ctx) => `Publish "${ctx.prev.write.title}" (${ctx.workflow.runId})?` } })
    .step('broken', {
      agent: 'Writer',
      input: () => {
        throw new Error('no such key');
      },
    });
  const activities = createPipelineStepActivities({ agents: new Map([['Researcher', researcher], ['Writer', writer]]), pipelines: new Map([[definition.name, definition]]) });
  const base = { pipelineName: 'publish-post', runId: 'run-1', input: { topic: 'agents' } };

  test('a step without an input function gets a default message naming the pipeline and the step', async () => {
    const build = await activities.buildPipelineStep({ ...base, stepName: 'research', prev: {} });
    expect(build).toMatchObject({ kind: 'agent', message: defaultStepMessage('publish-post', 'research', { topic: 'agents' }, {}) });
    expect(build.kind === 'agent' && build.message).toBe(
      "You are step 'research' of the pipeline 'publish-post'.\nPipeline input (JSON): {\"topic\":\"agents\"}",
    );
    // The step's output schema becomes the task's output settings.
    expect(build.kind === 'agent' && build.agent.output).toMatchObject({ name: 'output', source: 'task' });
  });

  test('an input function gets the run input and the earlier outputs; its context reaches the agent prompt', async () => {
    const prev = { research: { title: 'Durable agents', summary: 'workflows that survive crashes' } };
    const build = await activities.buildPipelineStep({ ...base, stepName: 'write', prev });
    expect(build).toMatchObject({ kind: 'agent', message: 'Write about workflows that survive crashes', context: { audience: 'agents' } });
    expect(build.kind === 'agent' && build.agent.systemPrompt).toBe('You write for {"audience":"agents"}.');
  });

  test('a gate message function gets the earlier outputs and the run id', async () => {
    const build = await activities.buildPipelineStep({ ...base, stepName: 'review', prev: { write: { title: 'Agents', words: 500 } } });
    expect(build).toEqual({ kind: 'gate', message: 'Publish "Agents" (run-1)?' });
  });

  test('a throwing input function fails the attempt (retryable); an unknown pipeline or step fails for good', async () => {
    const thrown = await activities.buildPipelineStep({ ...base, stepName: 'broken', prev: {} }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({ type: FailureType.PipelineStep, message: "Step 'broken' of pipeline 'publish-post': its input function threw: no such key" });
    expect((thrown as ApplicationFailure).nonRetryable).toBeFalsy();
    await expect(activities.buildPipelineStep({ ...base, pipelineName: 'nope', stepName: 'write', prev: {} })).rejects.toMatchObject({
      type: FailureType.PipelineNotFound,
      nonRetryable: true,
    });
    await expect(activities.buildPipelineStep({ ...base, stepName: 'nope', prev: {} })).rejects.toMatchObject({ type: FailureType.UnknownStep, nonRetryable: true });
  });

  test('checkPipelineOutput parses with the real schema, so refinements hold', async () => {
    expect(await activities.checkPipelineOutput({ pipelineName: 'publish-post', stepName: 'write', output: { title: 'A', words: 120 } })).toEqual({
      valid: true,
      value: { title: 'A', words: 120 },
    });
    expect(await activities.checkPipelineOutput({ pipelineName: 'publish-post', stepName: 'write', output: { title: 'A', words: 12 } })).toEqual({
      valid: false,
      issues: [{ code: 'custom', path: ['words'], message: 'too short' }],
    });
  });
});

describe('upgradePipelineInput', () => {
  const minimal: PipelineWorkflowInput = {
    runId: 'run-1',
    pipelineName: 'publish-post',
    steps: [{ name: 'research', kind: 'agent', agentName: 'Researcher' }],
    input: { topic: 'agents' },
    eventLogLimit: 1000,
    createdAt: '2025-01-01T00:00:00.000Z',
  };

  test('gives every optional field its default', () => {
    expect(upgradePipelineInput(minimal)).toEqual({
      ...minimal,
      schemaVersion: 1,
      reusedSteps: [],
      attempt: 1,
      lastEventSeq: 0,
      searchAttributes: false,
      hooks: [],
    });
  });

  test('keeps given values, and refuses a shape from a newer version', () => {
    expect(upgradePipelineInput({ ...minimal, attempt: 3, lastEventSeq: 12, searchAttributes: true })).toMatchObject({ attempt: 3, lastEventSeq: 12, searchAttributes: true });
    expect(() => upgradePipelineInput({ ...minimal, schemaVersion: 2 })).toThrow(/newer zap-agents/);
    expect(upgradePipelineInput({ ...minimal, hooks: ['onStart', 'onFailed'] }).hooks).toEqual(['onStart', 'onFailed']);
  });
});

describe('pipeline hooks', () => {
  const input = z.object({ topic: z.string() });

  test('are kept through every step added, frozen; a run carries their names', () => {
    const onStart = () => undefined;
    const onComplete = () => undefined;
    const definition = pipeline('hooked', { input, hooks: { onStart, onComplete } }).step('a', { agent: 'A' }).gate('b', { approval: { message: 'ok?' } });
    expect(definition.hooks).toEqual({ onStart, onComplete });
    expect(Object.isFrozen(definition.hooks)).toBe(true);
    expect(pipeline('plain', { input }).hooks).toEqual({});
  });

  test('refuse onStuck (an agent hook), unknown names and non-functions', () => {
    expect(() => pipeline('p', { input, hooks: { onStuck: () => undefined } as never })).toThrow(PipelineDefinitionError);
    expect(() => pipeline('p', { input, hooks: { onStuck: () => undefined } as never })).toThrow(/agent hook/);
    expect(() => pipeline('p', { input, hooks: { onDone: () => undefined } as never })).toThrow(/unknown hook 'onDone'/);
    expect(() => pipeline('p', { input, hooks: { onStart: 'no' } as never })).toThrow(/hooks.onStart must be a function/);
  });
});
