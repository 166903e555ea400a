import type { Client, TLSConfig } from '@temporalio/client';
import type { Duration, PayloadCodec } from '@temporalio/common';
import { parseDuration, type ZapAgent } from '../agent/zap-agent';
import {
  DEFAULT_EVENT_LOG_LIMIT,
  DEFAULT_NO_WORKER_TIMEOUT,
  DEFAULT_INLINE_MESSAGE_BYTES,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_SEARCH_ATTRIBUTES_MODE,
  DEFAULT_TASK_QUEUE,
  DEFAULT_TEMPORAL_ADDRESS,
  DEFAULT_TEMPORAL_NAMESPACE,
} from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import { stableStringify } from '../core/stable-stringify';
import type { ModelPrice } from '../core/budget';
import { ModelPrices } from '../llm/model-prices';
import type { LlmEndpointOptions } from '../llm/llm-endpoint';
import type { McpConnectionPoolOptions } from '../mcp/mcp-connection-pool';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import { compilePipelines } from '../pipelines/pipeline-registration';
import { InProcessTokenTransport } from '../streaming/in-process-token-transport';
import type { TokenTransport } from '../streaming/token-transport';
import type { ApprovalAuthorizer } from './approval-authorization';
import { readTemporalCredentialsFromEnvironment } from './temporal-environment';

/** How to reach Temporal. */
export interface TemporalConnectionOptions {
  /** @default process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' */
  address?: string;
  /** @default process.env.TEMPORAL_NAMESPACE ?? 'default' */
  namespace?: string;
  /** TLS settings (`true` for system roots, or certificates for mTLS). @default from TEMPORAL_TLS / TEMPORAL_TLS_* / TEMPORAL_API_KEY, else undefined (plain TCP) */
  tls?: TLSConfig | boolean;
  /** API key for Temporal Cloud. @default process.env.TEMPORAL_API_KEY */
  apiKey?: string;
  /** How long `start()` waits for the server. @default '10 seconds' */
  connectTimeout?: Duration;
}

/** Options of `Zap`. */
export interface ZapOptions<TContext = unknown, TPipeline extends AnyPipelineDefinition = AnyPipelineDefinition> {
  /** The agents this `Zap` runs; names must be unique and sub-agents must exist. */
  agents: ZapAgent<TContext>[];
  /**
   * Pipelines this `Zap` runs (`pipeline()` from `zap-agents/pipelines`): names must be unique,
   * each needs a step, and every step's agent must be one of `agents` (`ZapConfigurationError`
   * naming the step). `zap.startPipeline(name, input)` is typed from them.
   * @default []
   */
  pipelines?: readonly TPipeline[];
  /** @default address and namespace from the environment, else localhost:7233 / 'default' */
  temporal?: TemporalConnectionOptions;
  /** A pre-built Temporal client; `temporal` is then ignored for the client side. @default undefined */
  temporalClient?: Client;
  /** Task queue of the agent workflows and activities. @default 'zap-agents' */
  taskQueue?: string;
  /** Model endpoint for every agent that sets none. @default $OPENAI_BASE_URL and $OPENAI_API_KEY */
  llm?: LlmEndpointOptions;
  /**
   * Prices of models, in US dollars per million tokens, for models the bundled price data
   * (`@pydantic/genai-prices`) does not know or that you pay differently for:
   * `{ 'my-model': { input: 0.5, output: 1.5, cachedInput: 0.05 } }`. Used for the cost in task
   * snapshots and for USD budgets (a USD budget for a model with no known price is refused).
   * @default {} (the price data only)
   */
  prices?: Record<string, ModelPrice>;
  /** How long an answered task waits for a follow-up before its workflow ends. @default '24 hours' */
  idleTimeout?: Duration;
  /** Durable events each task keeps for stream consumers. @default 1000 */
  eventLogLimit?: number;
  /**
   * Model calls receive the newest messages inline when they total at most this many bytes, and
   * read the rest of the conversation by query (cached per worker). 0 reads everything by query.
   * A larger budget saves that query (one per model call after results above it, about 10–15 ms
   * on the dev server) at the price of storing those messages twice in history.
   * @default 4096
   */
  inlineMessageBytes?: number;
  /**
   * Continue-as-new after this many history events even before Temporal suggests it. Testing
   * aid; leave unset in production. @default undefined
   */
  continueAsNewAfterEvents?: number;
  /**
   * History length at which a task that cannot continue as new fails explicitly (instead of
   * 40,000 events). Testing aid, to reach the hard stop quickly; leave unset in production.
   * @default undefined (40,000 events or 40 MB)
   */
  historyHardStopEvents?: number;
  /**
   * How long a read (`getTask`, `streamTask`, pending approvals) waits for a worker's answer
   * before it checks that a worker polls the task queue at all; with none, it throws
   * `NoWorkerError` instead of hanging (a closed task is then read from its workflow result).
   * @default '3 seconds'
   */
  noWorkerTimeout?: Duration;
  /**
   * What `executeTask` does when no worker polls the task queue: `'warn'` starts the task anyway
   * (Temporal runs it when a worker arrives, as during a rolling deploy) and warns through the
   * logger; `'refuse'` throws `NoWorkerError` and starts nothing.
   * @default 'warn'
   */
  whenNoWorker?: 'warn' | 'refuse';
  /**
   * Eager workflow start: while a worker this Zap created (`createWorker`, `runWorker`) runs in
   * this process, `executeTask` starts new tasks through that worker's connection and asks the
   * server to hand the first workflow task straight back to it, which saves the trip through the
   * task queue (one poll match) before the first model call. Tasks with `startAt` / `startDelay`,
   * workers of a Worker Deployment and processes without a local worker start as usual.
   * `false` always starts through the task queue.
   * @default true
   */
  eagerStart?: boolean;
  /** MCP connection settings of workers and of `getAgentTools`. @default {} */
  mcp?: McpConnectionPoolOptions;
  /** Where warnings go (e.g. approval patterns that match no tool). @default console */
  logger?: ZapLogger;
  /**
   * How live model tokens travel from workers to `streamTask` subscribers. The default only
   * reaches subscribers in the worker's own process; give client and worker processes the same
   * `NatsTokenTransport` to stream tokens across processes. Durable events need no transport.
   * `zap.stop()` closes it.
   * @default new InProcessTokenTransport()
   */
  tokens?: TokenTransport;
  /**
   * Encodes every payload this Zap's client and workers store in Temporal (task text, context,
   * conversation, tool arguments and results), e.g. `AesGcmPayloadCodec.fromEnvironment()` to
   * encrypt them. Clients and workers must share the keys. With a pre-built `temporalClient`, give
   * that client the codec yourself (`dataConverter: { payloadCodecs: [codec] }`); this option
   * then applies to workers only.
   * @default undefined — payloads stored as plain JSON
   */
  payloadCodec?: PayloadCodec;
  /**
   * Whether tasks carry the zap-agents search attributes (`ZapAgent`, `ZapStatus`, `ZapTenant`,
   * `ZapUser`, `ZapParent`, all Keyword), which `listTasks` filters on. `zap.start()` checks that
   * the namespace has them: `'auto'` uses them when all are registered and otherwise warns once
   * (with the registration command) and runs without them; `'require'` makes `start()` throw
   * `SearchAttributesUnavailableError` naming the missing ones; `'off'` never uses them. Without
   * them tasks run normally, and `listTasks` can filter only by agent, parent and creation time.
   * @default 'auto'
   */
  searchAttributes?: SearchAttributesMode;
  /**
   * Who may decide approvals: called before every `approve`, `reject` and `decideApprovals` of
   * this Zap (and so of the CLI, HTTP API and MCP server built on it, which pass their principal
   * as the approver) with the full pending request (tool, arguments, summary, task, agent); for a
   * batch, once per decision, and one refusal refuses the whole batch. Anything but `true` refuses:
   * `PermissionDeniedError` naming the refused approval ids, and nothing is sent. Costs one status
   * query per call. It guards this SDK and the operations surface, not Temporal itself: anyone
   * with write access to the namespace can send the decision update directly, so restrict that
   * with Temporal's own authorization.
   *
   * @example
   * ```ts
   * new Zap({
   *   agents,
   *   authorize: ({ approval }, approver) =>
   *     approval.toolName !== 'refund' || (approver.roles ?? []).includes('finance'),
   * });
   * ```
   * @default undefined (anyone who can call `approve` may decide)
   */
  authorize?: ApprovalAuthorizer;
}

/**
 * Whether a Zap uses its search attributes: `'auto'` when the namespace has them all, `'require'`
 * refuses to start without them, `'off'` never uses them.
 */
export type SearchAttributesMode = 'auto' | 'require' | 'off';

/** The logger `Zap` writes warnings to. */
export interface ZapLogger {
  warn(message: string, meta?: object): void;
  /** Diagnostics, e.g. each line an MCP stdio server writes to stderr. @default not logged */
  debug?(message: string, meta?: object): void;
}

/** {@link ZapOptions} with defaults applied and everything validated. */
export interface CompiledZapOptions<TContext> {
  agents: ReadonlyMap<string, ZapAgent<TContext>>;
  pipelines: ReadonlyMap<string, AnyPipelineDefinition>;
  temporal: Required<Pick<TemporalConnectionOptions, 'address' | 'namespace'>> &
    Pick<TemporalConnectionOptions, 'tls' | 'apiKey'> & { connectTimeoutMs: number };
  temporalClient: Client | undefined;
  taskQueue: string;
  llm: LlmEndpointOptions | undefined;
  prices: ModelPrices;
  idleTimeoutMs: number;
  eventLogLimit: number;
  inlineMessageBytes: number;
  continueAsNewAfterEvents: number | undefined;
  historyHardStopEvents: number | undefined;
  noWorkerTimeoutMs: number;
  whenNoWorker: 'warn' | 'refuse';
  eagerStart: boolean;
  mcp: McpConnectionPoolOptions;
  logger: ZapLogger;
  tokens: TokenTransport;
  payloadCodec: PayloadCodec | undefined;
  searchAttributes: SearchAttributesMode;
  authorize: ApprovalAuthorizer | undefined;
}

/** Validates {@link ZapOptions} once, at construction. */
export function compileZapOptions<TContext>(
  options: ZapOptions<TContext, AnyPipelineDefinition>,
  environment: NodeJS.ProcessEnv = process.env,
): CompiledZapOptions<TContext> {
  if (!options || !Array.isArray(options.agents) || options.agents.length === 0) {
    throw new ZapConfigurationError({ message: 'Zap needs at least one agent in `agents`.' });
  }
  const agents = new Map<string, ZapAgent<TContext>>();
  for (const agent of options.agents) {
    if (!agent || typeof agent.taskSettings !== 'function') {
      throw new ZapConfigurationError({ message: 'Zap `agents` must be ZapAgent instances.' });
    }
    if (agents.has(agent.name)) throw new ZapConfigurationError({ message: `Two agents are named '${agent.name}'.` });
    agents.set(agent.name, agent);
  }
  for (const agent of agents.values()) {
    for (const subAgent of agent.subAgents) {
      if (!agents.has(subAgent)) {
        throw new ZapConfigurationError({ message: `Agent '${agent.name}' lists unknown sub-agent '${subAgent}'.` });
      }
    }
  }
  assertNoDelegationCycle(agents);
  assertConsistentMcpServers(agents);
  const pipelines = compilePipelines(options.pipelines, agents);

  const eventLogLimit = options.eventLogLimit ?? DEFAULT_EVENT_LOG_LIMIT;
  if (!Number.isInteger(eventLogLimit) || eventLogLimit < 10) {
    throw new ZapConfigurationError({ message: 'eventLogLimit must be an integer of at least 10.' });
  }
  const continueAsNewAfterEvents = options.continueAsNewAfterEvents;
  if (continueAsNewAfterEvents !== undefined && (!Number.isInteger(continueAsNewAfterEvents) || continueAsNewAfterEvents < 20)) {
    throw new ZapConfigurationError({ message: 'continueAsNewAfterEvents must be an integer of at least 20.' });
  }
  const historyHardStopEvents = options.historyHardStopEvents;
  if (historyHardStopEvents !== undefined && (!Number.isInteger(historyHardStopEvents) || historyHardStopEvents < 50)) {
    throw new ZapConfigurationError({ message: 'historyHardStopEvents must be an integer of at least 50.' });
  }
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  if (typeof taskQueue !== 'string' || taskQueue.trim() === '') {
    throw new ZapConfigurationError({ message: 'taskQueue must be a non-empty string.' });
  }
  // TEMPORAL_API_KEY, TEMPORAL_TLS* as the temporal CLI reads them; explicit options win.
  const credentials = options.temporalClient ? {} : readTemporalCredentialsFromEnvironment(environment);
  return {
    agents,
    pipelines,
    temporal: {
      address: options.temporal?.address ?? nonEmpty(environment.TEMPORAL_ADDRESS) ?? DEFAULT_TEMPORAL_ADDRESS,
      namespace: options.temporal?.namespace ?? nonEmpty(environment.TEMPORAL_NAMESPACE) ?? DEFAULT_TEMPORAL_NAMESPACE,
      tls: options.temporal?.tls ?? credentials.tls,
      apiKey: options.temporal?.apiKey ?? credentials.apiKey,
      connectTimeoutMs: parseDuration(options.temporal?.connectTimeout ?? '10 seconds', 'temporal.connectTimeout'),
    },
    temporalClient: options.temporalClient,
    taskQueue,
    llm: options.llm,
    prices: new ModelPrices(options.prices ?? {}),
    idleTimeoutMs: parseDuration(options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT, 'idleTimeout'),
    eventLogLimit,
    inlineMessageBytes: compileInlineBytes(options.inlineMessageBytes),
    continueAsNewAfterEvents,
    historyHardStopEvents,
    noWorkerTimeoutMs: parseDuration(options.noWorkerTimeout ?? DEFAULT_NO_WORKER_TIMEOUT, 'noWorkerTimeout'),
    whenNoWorker: compileWhenNoWorker(options.whenNoWorker),
    eagerStart: compileEagerStart(options.eagerStart),
    mcp: options.mcp ?? {},
    logger: options.logger ?? console,
    tokens: options.tokens ?? new InProcessTokenTransport(),
    payloadCodec: compilePayloadCodec(options.payloadCodec),
    searchAttributes: compileSearchAttributesMode(options.searchAttributes),
    authorize: compileAuthorize(options.authorize),
  };
}

function compileEagerStart(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  throw new ZapConfigurationError({ message: `eagerStart must be true or false, not ${JSON.stringify(value)}.` });
}

function assertNoDelegationCycle(agents: ReadonlyMap<string, ZapAgent<any>>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' → ');
      throw new ZapConfigurationError({ message: `Sub-agents form a delegation cycle: ${cycle}.` });
    }
    state.set(name, 'visiting');
    for (const subAgent of agents.get(name)?.subAgents ?? []) visit(subAgent, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of agents.keys()) visit(name, []);
}

/** Agents may share an MCP server by name, but only with the same configuration. */
function assertConsistentMcpServers(agents: ReadonlyMap<string, ZapAgent<any>>): void {
  const seen = new Map<string, { agent: string; config: string }>();
  for (const agent of agents.values()) {
    for (const config of agent.mcpClients) {
      const serialized = stableStringify(config);
      const previous = seen.get(config.name);
      if (previous && previous.config !== serialized) {
        throw new ZapConfigurationError({
          message: `MCP server '${config.name}' is configured differently by agents '${previous.agent}' and '${agent.name}'.`,
        });
      }
      seen.set(config.name, { agent: agent.name, config: serialized });
    }
  }
}

function compileInlineBytes(value: number | undefined): number {
  const bytes = value ?? DEFAULT_INLINE_MESSAGE_BYTES;
  if (!Number.isInteger(bytes) || bytes < 0 || bytes > 256 * 1024) {
    throw new ZapConfigurationError({ message: 'inlineMessageBytes must be an integer from 0 to 262144.' });
  }
  return bytes;
}

function compilePayloadCodec(codec: PayloadCodec | undefined): PayloadCodec | undefined {
  if (codec !== undefined && (typeof codec?.encode !== 'function' || typeof codec?.decode !== 'function')) {
    throw new ZapConfigurationError({ message: 'payloadCodec must be a PayloadCodec with encode() and decode().' });
  }
  return codec;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function compileSearchAttributesMode(value: unknown): SearchAttributesMode {
  if (value === undefined) return DEFAULT_SEARCH_ATTRIBUTES_MODE;
  if (value === 'auto' || value === 'require' || value === 'off') return value;
  throw new ZapConfigurationError({ message: `searchAttributes must be 'auto', 'require' or 'off', not ${JSON.stringify(value)}.` });
}

function compileAuthorize(value: unknown): ApprovalAuthorizer | undefined {
  if (value === undefined || typeof value === 'function') return value as ApprovalAuthorizer | undefined;
  throw new ZapConfigurationError({ message: 'authorize must be a function (decision, approver) => boolean | Promise<boolean>.' });
}

function compileWhenNoWorker(value: unknown): 'warn' | 'refuse' {
  if (value === undefined || value === 'warn' || value === 'refuse') return value ?? 'warn';
  throw new ZapConfigurationError({ message: `whenNoWorker must be 'warn' or 'refuse', not ${JSON.stringify(value)}.` });
}
