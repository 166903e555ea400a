/** What a local model server has done since it started, for throughput figures. */
export interface LocalModelStatistics {
  /** Seconds spent loading llama.cpp, the model and its context. */
  loadSeconds: number;
  /** Chat completion requests answered (successfully or not). */
  requests: number;
  /** Prompt tokens evaluated; tokens reused from the previous request's cache are not counted. */
  promptTokens: number;
  /** Seconds from the start of each generation to its first token (prompt processing). */
  promptSeconds: number;
  /** Tokens generated, tool-call decisions included. */
  completionTokens: number;
  /** Seconds from the first to the last token of each generation. */
  generationSeconds: number;
  /** `promptTokens / promptSeconds` (0 before any request). */
  promptTokensPerSecond: number;
  /** `completionTokens / generationSeconds` (0 before any request). */
  generationTokensPerSecond: number;
}

/** Running totals behind {@link LocalModelStatistics}. */
export class LocalModelStatisticsRecorder {
  private requests = 0;
  private promptTokens = 0;
  private promptSeconds = 0;
  private completionTokens = 0;
  private generationSeconds = 0;

  constructor(private readonly loadSeconds: number) {}

  recordRequest(): void {
    this.requests += 1;
  }

  /** Adds one generation: prompt tokens evaluated, tokens generated, and its timings in milliseconds. */
  recordGeneration(generation: { promptTokens: number; promptMs: number; completionTokens: number; generationMs: number }): void {
    this.promptTokens += generation.promptTokens;
    this.promptSeconds += generation.promptMs / 1000;
    this.completionTokens += generation.completionTokens;
    this.generationSeconds += generation.generationMs / 1000;
  }

  snapshot(): LocalModelStatistics {
    return {
      loadSeconds: this.loadSeconds,
      requests: this.requests,
      promptTokens: this.promptTokens,
      promptSeconds: this.promptSeconds,
      completionTokens: this.completionTokens,
      generationSeconds: this.generationSeconds,
      promptTokensPerSecond: rate(this.promptTokens, this.promptSeconds),
      generationTokensPerSecond: rate(this.completionTokens, this.generationSeconds),
    };
  }
}

function rate(tokens: number, seconds: number): number {
  return seconds > 0 ? tokens / seconds : 0;
}
