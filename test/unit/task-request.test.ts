import { ZapAgent } from '../../src/agent/zap-agent';
import { MAX_TASK_CONTENT_BYTES, MAX_TASK_CONTEXT_BYTES, validateTaskRequest, type ExecuteTaskOptions } from '../../src/client/task-request';
import { AgentNotFoundError, VisionNotSupportedError, ZapValidationError } from '../../src/core/errors';
import type { MessageContent } from '../../src/core/messages';

const support = new ZapAgent({ name: 'Support', prompt: 'You help customers.' });
const legacy = new ZapAgent({ name: 'Legacy', prompt: 'Old model.', model: 'gpt-3.5-turbo' });
const legacyWithVision = new ZapAgent({ name: 'LegacyVision', prompt: 'Old model.', model: 'gpt-3.5-turbo', supportsVision: true });
const agents: ReadonlyMap<string, ZapAgent<any>> = new Map(
  [support, legacy, legacyWithVision].map((agent) => [agent.name, agent]),
);

const imageContent: MessageContent = [
  { type: 'text', text: 'What is in this picture?' },
  { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
];

function validate(options: ExecuteTaskOptions<any>) {
  return validateTaskRequest(options, agents);
}

function thrownBy(build: () => unknown): Error {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('validateTaskRequest: new tasks', () => {
  it('returns the agent, content, context and task id of a valid request', () => {
    expect(validate({ agentName: 'Support', task: 'Refund order 123', context: { user: 'ana' }, taskId: 'mine-1' })).toEqual({
      kind: 'new',
      agent: support,
      content: 'Refund order 123',
      context: { user: 'ana' },
      taskId: 'mine-1',
    });
  });

  it('needs an agent name', () => {
    // Not valid TypeScript either; callers without types (JavaScript, HTTP) can still send it.
    const error = thrownBy(() => validate({ task: 'hi' } as ExecuteTaskOptions<any>));
    expect(error).toBeInstanceOf(ZapValidationError);
    expect(error.message).toMatch(/agentName/);
  });

  it('throws AgentNotFoundError listing the known agents for an unknown agent', () => {
    const error = thrownBy(() => validate({ agentName: 'Sales', task: 'hi' }));
    expect(error).toBeInstanceOf(AgentNotFoundError);
    expect((error as AgentNotFoundError).agentName).toBe('Sales');
    expect(error.message).toBe("Agent 'Sales' is not registered. Known agents: Support, Legacy, LegacyVision.");
  });

  it('needs task text or content', () => {
    expect(thrownBy(() => validate({ agentName: 'Support' })).message).toMatch(/needs `task`/);
    expect(thrownBy(() => validate({ agentName: 'Support', task: '   ' })).message).toBe('The task text is empty.');
    expect(thrownBy(() => validate({ agentName: 'Support', taskContent: [] })).message).toBe('The task text is empty.');
    expect(thrownBy(() => validate({ agentName: 'Support', task: 42 as unknown as string })).message).toBe(
      'task must be a string.',
    );
  });

  it('prefers taskContent over task', () => {
    const request = validate({ agentName: 'Support', task: 'ignored', taskContent: imageContent });
    expect(request.content).toEqual(imageContent);
  });

  it('rejects content parts of an unknown type or shape', () => {
    const audio = thrownBy(() =>
      validate({ agentName: 'Support', taskContent: [{ type: 'audio', data: 'x' }] as unknown as MessageContent }),
    );
    expect(audio).toBeInstanceOf(ZapValidationError);
    expect(audio.message).toMatch(/^taskContent is invalid/);

    const missingUrl = thrownBy(() =>
      validate({ agentName: 'Support', taskContent: [{ type: 'image_url', image_url: {} }] as unknown as MessageContent }),
    );
    expect(missingUrl).toBeInstanceOf(ZapValidationError);
  });

  it('throws VisionNotSupportedError for images sent to a model without vision', () => {
    const error = thrownBy(() => validate({ agentName: 'Legacy', taskContent: imageContent }));
    expect(error).toBeInstanceOf(VisionNotSupportedError);
    expect(error).toMatchObject({ agentName: 'Legacy', model: 'gpt-3.5-turbo', code: 'VISION_NOT_SUPPORTED' });
  });

  it('accepts text-only parts for a model without vision', () => {
    expect(validate({ agentName: 'Legacy', taskContent: [{ type: 'text', text: 'hello' }] }).kind).toBe('new');
  });

  it('accepts images when the agent sets supportsVision: true, and for vision models', () => {
    expect(validate({ agentName: 'LegacyVision', taskContent: imageContent }).kind).toBe('new');
    expect(validate({ agentName: 'Support', taskContent: imageContent }).kind).toBe('new');
  });

  it('rejects a context that is not plain JSON, naming the path', () => {
    const error = thrownBy(() =>
      validate({ agentName: 'Support', task: 'hi', context: { order: { placedAt: new Date(0) } } }),
    );
    expect(error).toBeInstanceOf(ZapValidationError);
    expect(error.message).toBe(
      'The task context must be plain JSON: context.order.placedAt is an instance of Date, not a plain object.',
    );
  });

  it('rejects a context over MAX_TASK_CONTEXT_BYTES of JSON and accepts one at the bound', () => {
    // {"blob":"…"} is 11 bytes of JSON around the string.
    const atBound = { blob: 'x'.repeat(MAX_TASK_CONTEXT_BYTES - 11) };
    expect(validate({ agentName: 'Support', task: 'hi', context: atBound })).toMatchObject({ context: atBound });
    const error = thrownBy(() => validate({ agentName: 'Support', task: 'hi', context: { blob: 'x'.repeat(MAX_TASK_CONTEXT_BYTES) } }));
    expect(error).toBeInstanceOf(ZapValidationError);
    expect(error.message).toBe(
      `The task context is ${MAX_TASK_CONTEXT_BYTES + 11} bytes of JSON; at most ${MAX_TASK_CONTEXT_BYTES} are accepted. Store large data elsewhere and pass its key.`,
    );
  });

  it('rejects content over MAX_TASK_CONTENT_BYTES and accepts content just under it', () => {
    const tooLarge = thrownBy(() => validate({ agentName: 'Support', task: 'x'.repeat(MAX_TASK_CONTENT_BYTES) }));
    expect(tooLarge).toBeInstanceOf(ZapValidationError);
    expect(tooLarge.message).toMatch(new RegExp(`is ${MAX_TASK_CONTENT_BYTES + 2} bytes; the limit is ${MAX_TASK_CONTENT_BYTES}`));

    // The JSON of a string adds two quotes.
    expect(validate({ agentName: 'Support', task: 'x'.repeat(MAX_TASK_CONTENT_BYTES - 2) }).kind).toBe('new');
  });

  it('counts the limit in bytes, so multi-byte text hits it sooner', () => {
    const text = 'é'.repeat(MAX_TASK_CONTENT_BYTES / 2);
    expect(thrownBy(() => validate({ agentName: 'Support', task: text }))).toBeInstanceOf(ZapValidationError);
  });

  it('rejects an empty or overlong task id', () => {
    expect(thrownBy(() => validate({ agentName: 'Support', task: 'hi', taskId: ' ' })).message).toMatch(/taskId/);
    expect(thrownBy(() => validate({ agentName: 'Support', task: 'hi', taskId: 'x'.repeat(201) })).message).toMatch(
      /at most 200/,
    );
  });
});

describe('validateTaskRequest: follow-ups', () => {
  it('returns the task id and content, without needing an agent', () => {
    expect(validate({ followUpOnTask: 'Support-abc', task: 'Also email the customer' })).toEqual({
      kind: 'follow-up',
      taskId: 'Support-abc',
      content: 'Also email the customer',
    });
  });

  it('still validates the content', () => {
    expect(thrownBy(() => validate({ followUpOnTask: 'Support-abc' }))).toBeInstanceOf(ZapValidationError);
    expect(thrownBy(() => validate({ followUpOnTask: 'Support-abc', task: '' })).message).toBe('The task text is empty.');
  });

  it('rejects an empty task id', () => {
    expect(thrownBy(() => validate({ followUpOnTask: ' ', task: 'more' })).message).toBe('followUpOnTask must be a task id.');
  });
});

describe('validateTaskRequest: options', () => {
  it('needs an options object', () => {
    expect(thrownBy(() => validateTaskRequest(undefined as unknown as ExecuteTaskOptions, agents))).toBeInstanceOf(
      ZapValidationError,
    );
  });
});

describe('secrets stay out of logs', () => {
  it('neither a Zap nor a Task shows the API key when logged or serialized', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Zap, ZapAgent, Task } = require('../../src') as typeof import('../../src');
    const { inspect } = require('node:util') as typeof import('node:util');
    const zap = new Zap({ agents: [new ZapAgent({ name: 'A', prompt: 'p' })], llm: { apiKey: 'sk-never-logged' } });
    const task = new Task(
      {
        taskId: 'A-1', agentName: 'A', status: 'completed', history: [], messageCount: 0, subTasks: [],
        usage: { promptTokens: 0, completionTokens: 0 }, pendingApprovals: [], approvals: [], lastEventSeq: 0,
        createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(),
      },
      zap,
    );
    for (const text of [inspect(zap), JSON.stringify(zap), inspect(task, { depth: 5 }), JSON.stringify(task)]) {
      expect(text).not.toContain('sk-never-logged');
    }
  });
});
