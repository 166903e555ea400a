import { randomBytes } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';

import { ZapConfigurationError } from '../core/errors';
import type { AssistantCompletion } from '../openai-wire/chat-completion-body';
import type { LocalChatRequest, LocalResponseFormat } from './chat-completion-request';
import { LocalModelStatisticsRecorder, type LocalModelStatistics } from './local-model-statistics';
import {
  ANSWER_INSTRUCTION,
  buildPromptHistory,
  DECISION_INSTRUCTION,
  jsonAnswerInstruction,
  toolCallKey,
  type PromptHistoryItem,
} from './prompt-history';
import { buildDecisionSchema, parseDecision, toGrammarSchema, type GrammarSchema } from './tool-call-grammar';

// Types only: the package itself is imported lazily (it is an optional, ESM-only dependency).
type NodeLlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type LlamaChat = InstanceType<NodeLlamaCpp['LlamaChat']>;
type LlamaContextSequence = LlamaChat['sequence'];
type LlamaGrammar = Awaited<ReturnType<Llama['createGrammar']>>;
type ChatHistoryItem = Parameters<LlamaChat['generateResponse']>[0][number];
type JsonSchemaGrammarInput = Parameters<Llama['createGrammarForJsonSchema']>[0];

/**
 * Tokens less likely than this fraction of the likeliest are never sampled (with a temperature above
 * 0): it keeps a tiny model's sampled answers on topic far more often.
 */
const MIN_P = 0.1;

/** Grammars kept per engine (one per distinct tool set); the oldest is dropped past this. */
const GRAMMAR_CACHE_SIZE = 32;

/** Options of {@link LocalModelEngine.load}, every field resolved. */
export interface LocalModelEngineOptions {
  modelPath: string;
  contextSize: number;
  threads: number;
  /** Overrides every request's temperature for answers when set. */
  temperature: number | undefined;
  toolCallTemperature: number;
  toolCallMaxTokens: number;
  maxTokens: number;
}

/** What to do with one request. */
export interface LocalCompletionOptions {
  /** Cancels the generation (and a wait for the model) when the client goes away. */
  signal: AbortSignal;
  /** Receives each piece of answer text as it is generated; never called for tool calls. */
  onText?: (text: string) => void;
}

/**
 * One GGUF model loaded by node-llama-cpp on the CPU, with one context sequence that answers one
 * request at a time (two cores gain nothing from interleaving, and the KV cache of the previous
 * request is reused as a prefix of the next).
 *
 * With tools, a request is answered in two steps: a decision decoded under a JSON grammar built from
 * the tools' schemas (so a tool call is always well formed and names an offered tool), then, when
 * the decision is to answer, the answer in free text, streamed. The decision is greedy by default,
 * whatever the request's temperature: the sampled choices of a tiny model are noise. A request
 * with `response_format` (`json_schema` or `json_object`) has its answer decoded under a grammar
 * too: the schema's (as far as a grammar can enforce it, see `toGrammarSchema`), or any JSON.
 */
export class LocalModelEngine {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private jsonGrammar: Promise<LlamaGrammar> | undefined;
  private readonly recorder: LocalModelStatisticsRecorder;
  private disposed = false;

  private constructor(
    private readonly llama: Llama,
    private readonly chat: LlamaChat,
    private readonly options: LocalModelEngineOptions,
    loadSeconds: number,
  ) {
    this.recorder = new LocalModelStatisticsRecorder(loadSeconds);
  }

  /** Loads llama.cpp (prebuilt CPU binaries, never a download or a build) and the model. */
  static async load(options: LocalModelEngineOptions): Promise<LocalModelEngine> {
    try {
      await access(options.modelPath, constants.R_OK);
    } catch (error) {
      throw new ZapConfigurationError({
        message: `LocalModelServer: no readable model file at ${options.modelPath} (scripts/ensure-local-model.sh fetches one).`,
        cause: error,
      });
    }
    const nodeLlamaCpp = await importNodeLlamaCpp();
    const started = performance.now();
    const llama = await nodeLlamaCpp.getLlama({
      gpu: false,
      build: 'never',
      progressLogs: false,
      logLevel: nodeLlamaCpp.LlamaLogLevel.error,
    });
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({ contextSize: options.contextSize, threads: options.threads });
      const chat = new nodeLlamaCpp.LlamaChat({ contextSequence: context.getSequence() });
      return new LocalModelEngine(llama, chat, options, (performance.now() - started) / 1000);
    } catch (error) {
      await llama.dispose().catch(() => undefined);
      throw new ZapConfigurationError({
        message: `LocalModelServer could not load the model at ${options.modelPath}: ${describeError(error)}`,
        cause: error,
      });
    }
  }

  /** The model id: the file name without `.gguf`. */
  get modelName(): string {
    return basename(this.options.modelPath).replace(/\.gguf$/i, '');
  }

  /** Answers one request, after the requests before it. */
  complete(request: LocalChatRequest, options: LocalCompletionOptions): Promise<AssistantCompletion> {
    const run = this.tail.then(() => this.completeNow(request, options));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Load time, tokens and throughput so far. */
  statistics(): LocalModelStatistics {
    return this.recorder.snapshot();
  }

  /** Releases the model and llama.cpp; requests still queued fail. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.tail;
    await this.llama.dispose();
  }

  private async completeNow(request: LocalChatRequest, options: LocalCompletionOptions): Promise<AssistantCompletion> {
    options.signal.throwIfAborted();
    if (this.disposed) throw new Error('LocalModelServer is closed');
    this.recorder.recordRequest();
    const tools = request.toolChoice === 'none' ? [] : request.tools;
    const history = buildPromptHistory(request, tools);
    let completionTokens = 0;

    if (tools.length > 0) {
      const grammar = await this.grammarFor(buildDecisionSchema(tools, request.toolChoice));
      const decisionRun = await this.generate([...history.conversation, { type: 'system', text: DECISION_INSTRUCTION }], {
        grammar,
        temperature: this.options.toolCallTemperature,
        maxTokens: this.options.toolCallMaxTokens,
        seed: request.seed,
        signal: options.signal,
      });
      completionTokens += decisionRun.generatedTokens;
      const decision = parseDecision(decisionRun.text);
      if (!decision && request.toolChoice !== 'auto') {
        throw new Error(`the model produced no complete tool call within ${this.options.toolCallMaxTokens} tokens`);
      }
      // A tiny model tends to repeat the call whose result it was just given: an identical call is
      // taken as the decision to answer (with tool_choice "auto" only; a required call is returned).
      const repeated =
        decision?.type === 'tool_call' &&
        request.toolChoice === 'auto' &&
        history.answeredCalls.has(toolCallKey(decision.name, decision.arguments));
      if (decision?.type === 'tool_call' && !repeated) {
        return {
          content: null,
          toolCalls: [{ id: `call_${randomBytes(12).toString('hex')}`, name: decision.name, arguments: JSON.stringify(decision.arguments) }],
          finishReason: 'tool_calls',
          usage: { promptTokens: decisionRun.contextTokens, completionTokens },
        };
      }
    }

    // A JSON answer (`response_format`) is decoded under a grammar of its schema, like a decision.
    const format = request.responseFormat;
    const instruction = format ? jsonAnswerInstruction(format) : request.tools.length > 0 ? ANSWER_INSTRUCTION : undefined;
    const answerHistory: PromptHistoryItem[] = instruction
      ? [...history.conversation, { type: 'system', text: instruction }]
      : history.conversation;
    const answerRun = await this.generate(answerHistory, {
      ...(format ? { grammar: await this.answerGrammarFor(format) } : {}),
      temperature: this.options.temperature ?? request.temperature,
      // The server's own limit caps what a request asks for: a small CPU model must not ramble.
      maxTokens: Math.min(request.maxTokens ?? this.options.maxTokens, this.options.maxTokens),
      seed: request.seed,
      signal: options.signal,
      onText: options.onText,
    });
    return {
      content: answerRun.text,
      toolCalls: [],
      finishReason: answerRun.stoppedAtLimit ? 'length' : 'stop',
      usage: { promptTokens: answerRun.contextTokens, completionTokens: completionTokens + answerRun.generatedTokens },
    };
  }

  /** One generation on the shared sequence, timed for the statistics. */
  private async generate(
    history: PromptHistoryItem[],
    options: {
      grammar?: LlamaGrammar;
      temperature: number | undefined;
      maxTokens: number;
      seed: number | undefined;
      signal: AbortSignal;
      onText?: (text: string) => void;
    },
  ): Promise<{ text: string; generatedTokens: number; contextTokens: number; stoppedAtLimit: boolean }> {
    const sequence: LlamaContextSequence = this.chat.sequence;
    const meterBefore = sequence.tokenMeter.getState();
    const started = performance.now();
    let firstTokenAt: number | undefined;
    let contextTokens = 0;
    let generatedTokens = 0;
    const onText = options.onText;
    try {
      const response = await this.chat.generateResponse(history as ChatHistoryItem[], {
        ...(options.grammar ? { grammar: options.grammar } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature, minP: MIN_P } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        maxTokens: options.maxTokens,
        // JSON repeats quotes and braces by nature: no repetition penalty on decisions.
        ...(options.grammar ? { repeatPenalty: false as const } : {}),
        signal: options.signal,
        onToken: (tokens) => {
          if (firstTokenAt === undefined) {
            firstTokenAt = performance.now();
            contextTokens = sequence.nextTokenIndex;
          }
          generatedTokens += tokens.length;
        },
        ...(onText ? { onTextChunk: (text: string) => text !== '' && onText(text) } : {}),
      });
      return {
        text: response.response,
        generatedTokens,
        contextTokens: contextTokens || sequence.nextTokenIndex,
        stoppedAtLimit: response.metadata.stopReason === 'maxTokens',
      };
    } finally {
      const ended = performance.now();
      this.recorder.recordGeneration({
        promptTokens: sequence.tokenMeter.diff(meterBefore).usedInputTokens,
        promptMs: (firstTokenAt ?? ended) - started,
        completionTokens: generatedTokens,
        generationMs: ended - (firstTokenAt ?? ended),
      });
    }
  }

  /** The grammar of a JSON answer: the schema's, reduced to what a grammar enforces, or any JSON. */
  private answerGrammarFor(format: LocalResponseFormat): Promise<LlamaGrammar> {
    if (format.type === 'json_schema') return this.grammarFor(toGrammarSchema(format.schema));
    this.jsonGrammar ??= this.llama.getGrammarFor('json');
    return this.jsonGrammar;
  }

  private grammarFor(schema: GrammarSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.llama.createGrammarForJsonSchema(schema as JsonSchemaGrammarInput);
      grammar.catch(() => this.grammars.delete(key));
      this.grammars.set(key, grammar);
      if (this.grammars.size > GRAMMAR_CACHE_SIZE) this.grammars.delete(this.grammars.keys().next().value!);
    }
    return grammar;
  }
}

/**
 * `import('node-llama-cpp')`, kept a real dynamic import in the CommonJS build (TypeScript's node16
 * module mode does) because the package is ESM with top-level await: `require` cannot load it.
 */
export async function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  try {
    return await import('node-llama-cpp');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new ZapConfigurationError({
        message: 'LocalModelServer needs the optional dependency node-llama-cpp, which is not installed: npm install node-llama-cpp',
        cause: error,
      });
    }
    throw new ZapConfigurationError({
      message: `LocalModelServer could not load node-llama-cpp: ${describeError(error)}` +
        (code === 'ERR_REQUIRE_ASYNC_MODULE' || code === 'ERR_REQUIRE_ESM'
          ? ' (it is an ES module: this code was compiled to require() it, as Jest does; run the server in its own process, e.g. src/local-model/run-local-model-server.ts)'
          : ''),
      cause: error,
    });
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
