import { LocalModelStatisticsRecorder } from '../../src/local-model/local-model-statistics';

describe('LocalModelStatisticsRecorder', () => {
  it('reports the load time and zero rates before any request', () => {
    expect(new LocalModelStatisticsRecorder(1.5).snapshot()).toEqual({
      loadSeconds: 1.5,
      requests: 0,
      promptTokens: 0,
      promptSeconds: 0,
      completionTokens: 0,
      generationSeconds: 0,
      promptTokensPerSecond: 0,
      generationTokensPerSecond: 0,
    });
  });

  it('sums requests, tokens and timings (milliseconds to seconds) and divides them into rates', () => {
    const recorder = new LocalModelStatisticsRecorder(2);
    recorder.recordRequest();
    recorder.recordGeneration({ promptTokens: 300, promptMs: 500, completionTokens: 20, generationMs: 400 });
    recorder.recordRequest();
    recorder.recordGeneration({ promptTokens: 100, promptMs: 500, completionTokens: 40, generationMs: 800 });
    // A second generation of the same request (the answer after a tool decision) adds tokens, not a request.
    recorder.recordGeneration({ promptTokens: 0, promptMs: 0, completionTokens: 0, generationMs: 0 });

    const statistics = recorder.snapshot();
    expect(statistics).toMatchObject({ loadSeconds: 2, requests: 2, promptTokens: 400, completionTokens: 60 });
    expect(statistics.promptSeconds).toBeCloseTo(1);
    expect(statistics.generationSeconds).toBeCloseTo(1.2);
    expect(statistics.promptTokensPerSecond).toBeCloseTo(400);
    expect(statistics.generationTokensPerSecond).toBeCloseTo(50);
  });

  it('keeps a rate at 0 while no time was spent', () => {
    const recorder = new LocalModelStatisticsRecorder(0);
    recorder.recordGeneration({ promptTokens: 12, promptMs: 0, completionTokens: 0, generationMs: 0 });
    expect(recorder.snapshot()).toMatchObject({ promptTokens: 12, promptTokensPerSecond: 0, generationTokensPerSecond: 0 });
  });

  it('gives snapshots that later recordings do not change', () => {
    const recorder = new LocalModelStatisticsRecorder(0);
    const before = recorder.snapshot();
    recorder.recordRequest();
    expect(before.requests).toBe(0);
    expect(recorder.snapshot().requests).toBe(1);
  });
});
