/**
 * Pipelines against the real dev server, with the scripted model over HTTP: one workflow per run,
 * each agent step a child agent task, each gate a durable pending approval of the run; typed
 * outputs, gates decided from another process, rejected and timed-out gates, repaired and failed
 * outputs, retries from a middle step that reuse earlier outputs, and a worker killed mid-run.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Worker } from '@temporalio/worker';
import { TaskClosedError, ZapValidationError } from '../../src';
import type { TaskEvent } from '../../src/core/events';
import { bearerTokenAuthenticator, serveHttpApi, type HttpApiServer } from '../../src/http';
import { OPERATOR_PRINCIPAL, ZapOperations } from '../../src/operations';
import type { TaskStatusView, WaitForTaskResult } from '../../src/operations/operation-schemas';
import { PipelineNotFoundError, PipelineStepError, UnknownStepError, type PipelineRun } from '../../src/pipelines';
import { scripted, ScriptedLlmServer, type ScriptedRequest } from '../../src/testing/scripted-llm-server';
import {
  createPipelineZap,
  EDITOR_PROMPT,
  FETCHER_PROMPT,
  pipelineHookCalls,
  pipelineProcessEnvironment,
  RESEARCHER_PROMPT,
  WRITER_PROMPT,
  type PipelineZapOptions,
} from '../fixtures/pipelines/pipeline-zap';
import { AgentRouter, lastMessage } from '../support/agent-router';
import { temporalAddress, testWorkerOptions, uniqueTaskQueue } from '../support/harness';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker';

const run = promisify(execFile);
const REPOSITORY_ROOT = resolve(__dirname, '../..');
const DECIDE_GATE = resolve(__dirname, '../fixtures/pipelines/decide-gate.ts');
const PIPELINE_ZAP_MODULE = resolve(__dirname, '../fixtures/pipelines/pipeline-zap.ts');
const CLI_ENTRY = resolve(REPOSITORY_ROOT, 'workers/zap-cli.ts');

jest.setTimeout(120_000);

const research = { title: 'Durable agents', summary: 'Agents whose every step survives a crash.' };
const draft = { title: 'Durable agents', body: 'Every model call is an activity.' };

type PipelineZap = ReturnType<typeof createPipelineZap>;

/** Polls the run until `predicate` holds; fails with the last state. */
async function waitForRun<T extends PipelineRun<any>>(read: () => Promise<T>, predicate: (run: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (predicate(last)) return last;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`the run did not reach the expected state; last: ${JSON.stringify({ status: last?.status, step: last?.currentStep, error: last?.error?.message })}`);
}

/** Model requests of one agent (by its system prompt). */
function requestsOf(requests: readonly ScriptedRequest[], prompt: string): ScriptedRequest[] {
  return requests.filter((request) => String(request.body.messages?.[0]?.content ?? '').startsWith(prompt));
}

async function eventsOf(zap: PipelineZap, runId: string): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  for await (const event of zap.streamTask({ taskId: runId, since: 0, includeTokens: false, untilClosed: true })) events.push(event);
  return events;
}

describe('pipelines', () => {
  let llm: ScriptedLlmServer;
  let zap: PipelineZap;
  let worker: Worker;
  let running: Promise<void>;
  let options: PipelineZapOptions;
  const router = new AgentRouter();

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ handler: router.handler });
    options = { taskQueue: uniqueTaskQueue('pipelines'), temporalAddress: temporalAddress(), llmBaseURL: llm.baseURL };
    zap = createPipelineZap(options);
    await zap.start();
    worker = await zap.createWorker(testWorkerOptions());
    running = worker.run();
  });

  afterAll(async () => {
    await zap?.stop();
    await running;
    await llm?.close();
  });

  beforeEach(() => router.reset());

  /** Decides the run's pending gate in a process of its own (a second client). */
  async function decideFromAnotherProcess(runId: string, decision: 'approve' | 'reject', who: string, reason?: string) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', DECIDE_GATE, runId, decision, who, ...(reason ? [reason] : [])], {
      cwd: REPOSITORY_ROOT,
      env: { ...process.env, ...pipelineProcessEnvironment(options) },
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { pid: number; step: string; message: string; decision: string };
  }

  test('a three-step pipeline waits at its gate with the computed message, is approved from another process, and completes with typed outputs', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json(research));
    router.enqueue(WRITER_PROMPT, scripted.json(draft));
    const started = await zap.startPipeline('publish-post', { topic: 'durable agents' });
    expect(started).toMatchObject({ pipelineName: 'publish-post', status: 'running', stepCount: 3, stepsCompleted: 0, attempt: 1 });

    const pending = await waitForRun(() => zap.getPipelineRun(started.id, { pipeline: 'publish-post' }), (current) => current.status === 'pending');
    expect(pending).toMatchObject({
      currentStep: 'review',
      pendingStep: 'review',
      stepsCompleted: 1,
      approvalMessage: 'Write an article titled "Durable agents"?',
    });
    // Typed by the research step's schema: no cast.
    const title: string | undefined = pending.outputs.research?.title;
    expect(title).toBe('Durable agents');
    expect(pending.steps.map((step) => [step.name, step.status])).toEqual([
      ['research', 'complete'],
      ['review', 'pending'],
      ['write', 'not-started'],
    ]);
    expect(pending.steps[0]).toMatchObject({ response: JSON.stringify(research), iterations: 1, output: research, taskId: `${started.id}.research.1` });
    // The research request is the step's input function, with the parsed (defaulted) input.
    expect(lastMessage(requestsOf(llm.requests, RESEARCHER_PROMPT).at(-1)!).content).toBe('Research durable agents for engineers.');
    // The gate is a pending approval of the run, in the task protocol and the operations view.
    expect(pending.pendingApproval).toMatchObject({ kind: 'gate', toolName: 'review', message: pending.approvalMessage, taskId: started.id });
    expect(await zap.getPendingApprovals(started.id)).toEqual([pending.pendingApproval]);
    const status = await zap.getTaskStatus(started.id);
    expect(status).toMatchObject({ status: 'awaiting_approval', agentName: 'pipeline:publish-post', subTasks: [`${started.id}.research.1`] });
    const operations = new ZapOperations({ zap });
    const view = await operations.getStatus(OPERATOR_PRINCIPAL, { taskId: started.id });
    expect(view.pipeline).toMatchObject({ name: 'publish-post', status: 'pending', currentStep: 'review', stepsCompleted: 1, stepCount: 3, pendingStep: 'review' });
    expect(view.waitingFor.approvals).toEqual([expect.objectContaining({ approvalId: pending.pendingApproval!.id, toolName: 'review', message: pending.approvalMessage })]);
    // The step ran as a child task of the run, owned like it.
    expect(await zap.getTask(`${started.id}.research.1`)).toMatchObject({ status: 'completed', parentTaskId: started.id, agentName: 'Researcher' });

    const decided = await decideFromAnotherProcess(started.id, 'approve', 'ana');
    expect(decided).toMatchObject({ step: 'review', message: 'Write an article titled "Durable agents"?', decision: 'approved' });
    expect(decided.pid).not.toBe(process.pid);

    const waited = await operations.waitForTask(OPERATOR_PRINCIPAL, { taskId: started.id, timeoutSeconds: 60 });
    expect(waited.outcome).toBe('completed');
    const done = await zap.getPipelineRun(started.id, { pipeline: 'publish-post' });
    expect(done).toMatchObject({ status: 'complete', stepsCompleted: 3, currentStep: undefined, pendingApproval: undefined, error: undefined });
    const body: string | undefined = done.outputs.write?.body;
    expect(body).toBe(draft.body);
    expect(done.outputs).toEqual({ research, write: draft });
    expect(done.step('review')?.gate).toMatchObject({ decision: 'approved', decidedBy: 'ana', message: 'Write an article titled "Durable agents"?' });
    expect(lastMessage(requestsOf(llm.requests, WRITER_PROMPT).at(-1)!).content).toBe(`Write "Durable agents": ${research.summary}`);

    const events = await eventsOf(zap, started.id);
    expect(events.map((event) => (event.type.startsWith('step_') ? `${event.type}:${(event as { step: string }).step}` : event.type))).toEqual([
      'step_started:research',
      'step_finished:research',
      'step_started:review',
      'approval_requested',
      'approval_resolved',
      'step_finished:review',
      'step_started:write',
      'step_finished:write',
      'completed',
    ]);
    expect((await zap.client.workflow.getHandle(started.id).describe()).status.name).toBe('COMPLETED');
  });

  test('a rejected gate ends the run with its reason; the next step never runs', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json(research));
    const started = await zap.startPipeline('publish-post', { topic: 'vague ideas' });
    const pending = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.status === 'pending');
    const writerRequests = requestsOf(llm.requests, WRITER_PROMPT).length;
    await zap.reject(started.id, pending.pendingApproval!.id, 'off-topic', { rejectedBy: 'ana' });

    const ended = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(ended).toMatchObject({ status: 'error', failedStep: 'review', stepsCompleted: 1 });
    expect(ended.step('review')).toMatchObject({ status: 'rejected', gate: { decision: 'rejected', decidedBy: 'ana', reason: 'off-topic' } });
    expect(ended.step('write')?.status).toBe('not-started');
    expect(ended.error).toBeInstanceOf(PipelineStepError);
    expect(ended.error).toMatchObject({ stepName: 'review', status: 'rejected', runId: started.id });
    expect(ended.error?.message).toBe("Step 'review' of pipeline 'publish-post' ended rejected: the gate was rejected by ana: off-topic");
    expect(requestsOf(llm.requests, WRITER_PROMPT)).toHaveLength(writerRequests);
    expect((await zap.getTaskStatus(started.id)).status).toBe('failed');
    expect((await zap.client.workflow.getHandle(started.id).describe()).status.name).toBe('FAILED');
  });

  test('a gate nobody decides in time ends the run timed out', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json(research));
    const started = await zap.startPipeline('hasty-review', { topic: 'news' });
    const ended = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(ended).toMatchObject({ status: 'error', failedStep: 'review' });
    expect(ended.step('review')).toMatchObject({ status: 'timed-out', gate: { decision: 'timed_out', message: 'Quick, approve!' } });
    expect(ended.error).toMatchObject({ status: 'timed-out' });
    expect(ended.error?.message).toContain('the gate timed out (no decision within 1 second)');
    // A step without an input function got the default message naming it.
    expect(lastMessage(requestsOf(llm.requests, RESEARCHER_PROMPT).at(-1)!).content).toBe(
      "You are step 'research' of the pipeline 'hasty-review'.\nPipeline input (JSON): {\"topic\":\"news\",\"audience\":\"engineers\"}",
    );
  });

  test('an invalid output is repaired by the step task; the repaired output stands', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json({ title: 'Durable agents' }), scripted.json(research));
    router.enqueue(WRITER_PROMPT, scripted.json(draft));
    router.enqueue(EDITOR_PROMPT, scripted.text('Edited: fine as is.'));
    const started = await zap.startPipeline('draft-chain', { topic: 'repairs' });
    const done = await waitForRun(() => zap.getPipelineRun(started.id, { pipeline: 'draft-chain' }), (current) => current.isComplete());
    expect(done.status).toBe('complete');
    expect(done.step('research')).toMatchObject({ status: 'complete', iterations: 2, output: research });
    // The repair turn showed the model what was wrong.
    const researchRequests = requestsOf(llm.requests, RESEARCHER_PROMPT).slice(-2);
    expect(lastMessage(researchRequests[1]!).content).toContain('- summary: Invalid input: expected string, received undefined');
    // A text step's output is its answer.
    const edited: string | undefined = done.outputs.edit;
    expect(edited).toBe('Edited: fine as is.');
  });

  test('an output that still fails its schema after repair fails the step, with the raw response and the issues', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json({ title: 1 }), scripted.json({ title: 2 }), scripted.json({ title: 3 }));
    const started = await zap.startPipeline('draft-chain', { topic: 'hopeless' });
    const ended = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(ended).toMatchObject({ status: 'error', failedStep: 'research', stepsCompleted: 0 });
    expect(ended.step('research')).toMatchObject({ status: 'error', response: '{"title":3}' });
    expect(ended.error).toBeInstanceOf(PipelineStepError);
    expect(ended.error).toMatchObject({ stepName: 'research', status: 'error', response: '{"title":3}' });
    expect(ended.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['title', 'summary']);
    expect(ended.error?.message).toContain("Agent 'Researcher' gave no answer matching its output schema (3 attempt(s), 2 repair turn(s))");
  });

  test('an output that passes its JSON Schema but fails a refinement fails the step (the real schema is checked on a worker)', async () => {
    router.enqueue(WRITER_PROMPT, scripted.json({ title: 'Short', body: 'Too short.' }));
    const started = await zap.startPipeline('long-form', { topic: 'brevity' });
    const ended = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(ended.error).toMatchObject({ stepName: 'write', status: 'error', response: '{"title":"Short","body":"Too short."}' });
    expect(ended.error?.issues).toEqual([{ code: 'custom', path: ['body'], message: 'the body needs at least 5 words' }]);
  });

  test('a step task that reaches maxIterations ends the step max-iterations', async () => {
    router.enqueue(FETCHER_PROMPT, scripted.toolCalls([{ name: 'fetch_page', arguments: { url: 'https://example.com' } }]));
    const started = await zap.startPipeline('fetch-facts', { topic: 'pages' });
    const ended = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(ended.step('fetch')).toMatchObject({ status: 'max-iterations', iterations: 1 });
    expect(ended.error).toMatchObject({ status: 'max-iterations' });
    expect(ended.error?.message).toContain("reached maxIterations (1)");
  });

  test('retryPipeline starts again at a middle step and reuses the outputs before it: no earlier step runs again', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json(research));
    router.enqueue(WRITER_PROMPT, scripted.error(400, 'The model refuses this request'));
    const started = await zap.startPipeline('draft-chain', { topic: 'retries' }, { runId: `retry-${Date.now()}` });
    const failed = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(failed).toMatchObject({ status: 'error', failedStep: 'write' });
    expect(failed.step('write')?.error).toContain('The model refuses this request');

    // Typed errors before anything starts: an unknown step, and a step whose predecessor has no output.
    await expect(zap.retryPipeline(started.id, { fromStep: 'wirte' })).rejects.toThrow(UnknownStepError);
    await expect(zap.retryPipeline(started.id, { fromStep: 'wirte' })).rejects.toThrow(
      "Pipeline 'draft-chain' has no step 'wirte'. Its steps: research, write, edit.",
    );
    await expect(zap.retryPipeline(started.id, { fromStep: 'edit' })).rejects.toThrow(ZapValidationError);

    const before = { research: requestsOf(llm.requests, RESEARCHER_PROMPT).length, writer: requestsOf(llm.requests, WRITER_PROMPT).length };
    router.enqueue(WRITER_PROMPT, scripted.json(draft));
    router.enqueue(EDITOR_PROMPT, scripted.text('Edited.'));
    const retried = await zap.retryPipeline(started.id, { fromStep: 'write' });
    expect(retried).toMatchObject({ id: started.id, attempt: 2, status: 'running' });
    const done = await waitForRun(() => zap.getPipelineRun(started.id, { pipeline: 'draft-chain' }), (current) => current.isComplete());
    expect(done).toMatchObject({ status: 'complete', attempt: 2, stepsCompleted: 3 });
    expect(done.step('research')).toMatchObject({ reused: true, output: research, taskId: `${started.id}.research.1` });
    expect(done.step('write')).toMatchObject({ status: 'complete', taskId: `${started.id}.write.2`, output: draft });
    expect(done.outputs).toEqual({ research, write: draft, edit: 'Edited.' });
    // Counted at the model server: research was not asked again, write once more.
    expect(requestsOf(llm.requests, RESEARCHER_PROMPT)).toHaveLength(before.research);
    expect(requestsOf(llm.requests, WRITER_PROMPT)).toHaveLength(before.writer + 1);
    expect(lastMessage(requestsOf(llm.requests, WRITER_PROMPT).at(-1)!).content).toBe(`Write about: ${research.summary}`);
    // The run's events go on numbered after the failed run's.
    expect(done.lastEventSeq).toBeGreaterThan(failed.lastEventSeq);
    // Only a failed run is retried.
    await expect(zap.retryPipeline(started.id)).rejects.toThrow(TaskClosedError);
  });

  test('cancelling a run cancels the step task it waits for', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.hang());
    const started = await zap.startPipeline('draft-chain', { topic: 'never mind' });
    await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.step('research')?.status === 'running');
    await zap.cancelTask(started.id, 'not needed any more');
    const cancelled = await waitForRun(() => zap.getPipelineRun(started.id), (current) => current.isComplete());
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'not needed any more' });
    const child = await zap.client.workflow.getHandle(`${started.id}.research.1`);
    await expect(child.result()).rejects.toThrow();
    expect((await child.describe()).status.name).toBe('CANCELLED');
  });

  test('a run and its step tasks belong to the run\'s tenant and user; runs are listed as pipeline:<name>', async () => {
    const long = { title: 'Long', body: 'A body of more than five words.' };
    router.enqueue(WRITER_PROMPT, scripted.json(long));
    const started = await zap.startPipeline('long-form', { topic: 'owners' }, { tenantId: 'acme', userId: 'ana' });
    const done = await waitForRun(() => zap.getPipelineRun(started.id, { tenantId: 'acme' }), (current) => current.isComplete());
    expect(done).toMatchObject({ status: 'complete', tenantId: 'acme', userId: 'ana', outputs: { write: long } });
    expect(await zap.getTask(`${started.id}.write.1`, { tenantId: 'acme', userId: 'ana' })).toMatchObject({ tenantId: 'acme', userId: 'ana' });
    await expect(zap.getPipelineRun(started.id, { tenantId: 'globex' })).rejects.toThrow(`Task '${started.id}' was not found.`);
    // The same runId again is the same run (idempotent start), and a run takes no follow-up.
    expect((await zap.startPipeline('long-form', { topic: 'owners' }, { runId: started.id, tenantId: 'acme', userId: 'ana' })).id).toBe(started.id);
    await expect(zap.executeTask({ followUpOnTask: started.id, task: 'One more thing' })).rejects.toThrow('is a pipeline run; a run takes no follow-up messages');
    const deadline = Date.now() + 30_000;
    let listed: string[] = [];
    while (Date.now() < deadline && !listed.includes(started.id)) {
      listed = (await zap.listTasks({ agentName: 'pipeline:long-form', tenantId: 'acme', status: ['completed'] })).tasks.map((task) => task.taskId);
      if (!listed.includes(started.id)) await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    expect(listed).toContain(started.id);
  });

  test('a run starts through the HTTP API, MCP and the CLI, owned by the caller, and is waited for as a task', async () => {
    const longDraft = { title: 'Faces', body: 'One model for every face of zap.' };
    router.enqueue(WRITER_PROMPT, scripted.json(longDraft), scripted.json(longDraft), scripted.json(longDraft));
    const server: HttpApiServer = await serveHttpApi({
      zap,
      port: 0,
      authenticate: bearerTokenAuthenticator({ tokens: { 'ana-token': { tenantId: 'acme', userId: 'ana', roles: ['read', 'start'] } } }),
    });
    const mcp = new McpClient({ name: 'pipelines-test', version: '1.0.0' });
    try {
      const headers = { authorization: 'Bearer ana-token', 'content-type': 'application/json' };
      // HTTP: 201 with the run's status and a Location to the run as a task.
      const httpRunId = `faces-http-${options.taskQueue}`;
      const created = await fetch(`${server.url}/v1/pipelines/long-form/runs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input: { topic: 'http' }, runId: httpRunId }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/tasks/${httpRunId}`);
      expect((await created.json()) as TaskStatusView).toMatchObject({
        taskId: httpRunId,
        agent: 'pipeline:long-form',
        tenantId: 'acme',
        userId: 'ana',
        pipeline: { name: 'long-form', stepCount: 1, steps: [{ name: 'write', kind: 'agent' }] },
      });
      const waited = await fetch(`${server.url}/v1/tasks/${httpRunId}/wait`, { method: 'POST', headers, body: JSON.stringify({ timeoutSeconds: 60 }) });
      expect((await waited.json()) as WaitForTaskResult).toMatchObject({ outcome: 'completed', task: { taskId: httpRunId, pipeline: { status: 'complete', stepsCompleted: 1 } } });
      const missing = await fetch(`${server.url}/v1/pipelines/no-such-pipeline/runs`, { method: 'POST', headers, body: '{}' });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'PIPELINE_NOT_FOUND' });

      // MCP (the API's /mcp): start_pipeline, then wait_for_task on the run id.
      await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer ana-token' } } }));
      const mcpStarted = (await mcp.callTool({ name: 'start_pipeline', arguments: { pipeline: 'long-form', input: { topic: 'mcp' } } })).structuredContent as TaskStatusView;
      expect(mcpStarted).toMatchObject({ agent: 'pipeline:long-form', tenantId: 'acme', pipeline: { name: 'long-form' } });
      const mcpWaited = (await mcp.callTool({ name: 'wait_for_task', arguments: { taskId: mcpStarted.taskId, timeoutSeconds: 60 } })).structuredContent as WaitForTaskResult;
      expect(mcpWaited).toMatchObject({ outcome: 'completed', task: { pipeline: { status: 'complete' } } });
    } finally {
      await mcp.close();
      await server.close();
    }

    // CLI: `zap pipeline start <name> --input --id --wait` (exit 0 on completion).
    const cliRunId = `faces-cli-${options.taskQueue}`;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', CLI_ENTRY, 'pipeline', 'start', 'long-form', '--input', '{"topic":"cli"}', '--id', cliRunId, '--wait', '--timeout', '60', '--json'],
      { cwd: REPOSITORY_ROOT, env: { ...process.env, ...pipelineProcessEnvironment(options), ZAP_MODULE: PIPELINE_ZAP_MODULE } },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ outcome: 'completed', task: { taskId: cliRunId, pipeline: { status: 'complete' } } });
    const done = await zap.getPipelineRun(cliRunId, { pipeline: 'long-form' });
    expect(done.outputs).toEqual({ write: longDraft });
    expect(requestsOf(llm.requests, WRITER_PROMPT).length).toBeGreaterThanOrEqual(3);
  });

  test('pipeline hooks run as activities: onStart, onApprovalRequested at the gate, then onComplete, or onFailed for a rejected gate', async () => {
    router.enqueue(WRITER_PROMPT, scripted.json(draft), scripted.json(draft));
    const approved = await zap.startPipeline('hooked-review', { topic: 'hooks' });
    const approvedPending = await waitForRun(() => zap.getPipelineRun(approved.id), (current) => current.pendingApproval !== undefined);
    await zap.approve(approved.id, approvedPending.pendingApproval!.id, { approvedBy: 'ana' });
    await zap.client.workflow.getHandle(approved.id).result();

    const rejected = await zap.startPipeline('hooked-review', { topic: 'hooks again' });
    const rejectedPending = await waitForRun(() => zap.getPipelineRun(rejected.id), (current) => current.pendingApproval !== undefined);
    await zap.reject(rejected.id, rejectedPending.pendingApproval!.id, 'not now', { rejectedBy: 'ana' });
    await expect(zap.client.workflow.getHandle(rejected.id).result()).rejects.toThrow();

    // Every hook a run starts finishes before the run ends: both runs are closed, so all calls are in.
    const callsOf = (runId: string) => pipelineHookCalls.filter((call) => call.runId === runId);
    expect(callsOf(approved.id)).toEqual([
      expect.objectContaining({ hook: 'onStart', agentName: 'pipeline:hooked-review', deliveryId: `${approved.id}/onStart/0`, pipelineStatus: 'running' }),
      expect.objectContaining({ hook: 'onApprovalRequested', detail: 'Publish "Durable agents"?', pipelineStatus: 'pending' }),
      expect.objectContaining({ hook: 'onComplete', pipelineStatus: 'complete' }),
    ]);
    expect(callsOf(rejected.id).map((call) => call.hook)).toEqual(['onStart', 'onApprovalRequested', 'onFailed']);
    expect(callsOf(rejected.id)[2]).toMatchObject({ pipelineStatus: 'error', detail: expect.stringContaining('not now') });
    // Each delivery id is unique across the run's life (an idempotency key).
    const ids = pipelineHookCalls.map((call) => call.deliveryId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('bad input is refused before anything starts', async () => {
    await expect(zap.startPipeline('publish-post', { topic: '' })).rejects.toThrow(ZapValidationError);
    await expect(zap.startPipeline('publish-post', { topic: 42 } as never)).rejects.toThrow(/Invalid input for pipeline 'publish-post'/);
    await expect(zap.startPipeline('no-such-pipeline' as never, {} as never)).rejects.toThrow(PipelineNotFoundError);
  });
});

describe('a pipeline whose worker is killed mid-run', () => {
  let llm: ScriptedLlmServer;
  let options: PipelineZapOptions;
  let zap: PipelineZap;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const processes: WorkerProcess[] = [];
  const router = new AgentRouter();

  beforeAll(async () => {
    llm = await ScriptedLlmServer.start({ handler: router.handler });
    options = { taskQueue: uniqueTaskQueue('pipeline-crash'), temporalAddress: temporalAddress(), llmBaseURL: llm.baseURL };
    zap = createPipelineZap(options);
    await zap.start();
  });

  afterAll(async () => {
    await Promise.all(processes.splice(0).map((process) => process.stop('SIGKILL')));
    await zap?.stop();
    await running;
    await llm?.close();
  });

  test('a new worker finishes the run; no completed step runs again', async () => {
    router.enqueue(RESEARCHER_PROMPT, scripted.json(research));
    // The write step's first model call hangs on the worker that gets killed; its retry answers.
    router.enqueue(WRITER_PROMPT, scripted.hang(), scripted.json(draft));
    router.enqueue(EDITOR_PROMPT, scripted.text('Edited.'));
    const first = await spawnWorker(PIPELINE_ZAP_MODULE, pipelineProcessEnvironment(options));
    processes.push(first);
    const started = await zap.startPipeline('draft-chain', { topic: 'crashes' });
    await llm.waitForRequests(2, 60_000);
    expect(requestsOf(llm.requests, WRITER_PROMPT)).toHaveLength(1);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    worker = await zap.createWorker(testWorkerOptions());
    running = worker.run();
    const done = await waitForRun(() => zap.getPipelineRun(started.id, { pipeline: 'draft-chain' }), (current) => current.isComplete(), 90_000);
    expect(done.status).toBe('complete');
    expect(done.outputs).toEqual({ research, write: draft, edit: 'Edited.' });
    // Counted at the model server: research once (done before the kill), write twice (the call in flight, retried), edit once.
    expect(requestsOf(llm.requests, RESEARCHER_PROMPT)).toHaveLength(1);
    expect(requestsOf(llm.requests, WRITER_PROMPT)).toHaveLength(2);
    expect(requestsOf(llm.requests, EDITOR_PROMPT)).toHaveLength(1);
    expect(done.steps.map((step) => step.taskId)).toEqual([`${started.id}.research.1`, `${started.id}.write.1`, `${started.id}.edit.1`]);
  });
});
