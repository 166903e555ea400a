import { calcPrice } from '@pydantic/genai-prices';
import { costOfUsage, type ModelPrice, type ResolvedModelPrice } from '../core/budget';
import { ZapConfigurationError } from '../core/errors';

/**
 * Prices of models in US dollars per million tokens: the Zap's `prices` first (for models the
 * price data does not know: self-hosted, fine-tuned, a LiteLLM alias), then the price data of
 * `@pydantic/genai-prices`, bundled with the package (no download at run time; upgrade the
 * package for new prices). A provider prefix (`openai/gpt-4o`, LiteLLM style) is tried with and
 * without. Lookups are cached per model name.
 */
export class ModelPrices {
  private readonly overrides: ReadonlyMap<string, ModelPrice>;
  private readonly cache = new Map<string, ResolvedModelPrice | null>();

  constructor(overrides: Record<string, ModelPrice> = {}) {
    for (const [model, price] of Object.entries(overrides)) checkPrice(model, price);
    this.overrides = new Map(Object.entries(overrides));
  }

  /** The price of a model, or undefined when neither the overrides nor the price data know it. */
  resolve(model: string): ResolvedModelPrice | undefined {
    if (!this.cache.has(model)) this.cache.set(model, this.lookUp(model) ?? null);
    return this.cache.get(model) ?? undefined;
  }

  /** What a call's usage costs in nano-dollars, rounded up; undefined when the price is unknown. */
  costNanoUsd(model: string, usage: { promptTokens: number; completionTokens: number; cachedPromptTokens?: number }): number | undefined {
    const price = this.resolve(model);
    return price ? costOfUsage(usage, price) : undefined;
  }

  private lookUp(model: string): ResolvedModelPrice | undefined {
    const override = this.overrides.get(model);
    if (override) return { model, ...override, source: 'override' };
    const slash = model.indexOf('/');
    for (const candidate of slash > 0 ? [model, model.slice(slash + 1)] : [model]) {
      const found = fromPriceData(candidate);
      if (found) return { model, ...found, source: 'genai-prices' };
    }
    return undefined;
  }
}

/** Input, output and cached-input prices per million tokens from the price data, for plain token usage. */
function fromPriceData(model: string): ModelPrice | undefined {
  let result;
  try {
    result = calcPrice({ input_tokens: 1_000_000, output_tokens: 1_000_000 }, model);
  } catch {
    return undefined;
  }
  if (!result) return undefined;
  const prices = result.model_price;
  const input = plainPrice(prices.input_mtok);
  const output = plainPrice(prices.output_mtok);
  if (input === undefined || output === undefined) return undefined;
  const cachedInput = plainPrice(prices.cache_read_mtok);
  return { input, output, ...(cachedInput !== undefined ? { cachedInput } : {}) };
}

/** A flat price; tiered prices (by prompt length) count at their highest tier, so a budget never under-counts. */
function plainPrice(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value && typeof value === 'object' && 'base' in value) {
    const tiered = value as { base: number; tiers?: Array<{ price: number }> };
    return Math.max(tiered.base, ...(tiered.tiers ?? []).map((tier) => tier.price));
  }
  return undefined;
}

function checkPrice(model: string, price: ModelPrice): void {
  const bad = (field: string): never => {
    throw new ZapConfigurationError({ message: `prices['${model}'].${field} must be a non-negative number of US dollars per million tokens.` });
  };
  if (!price || typeof price !== 'object') bad('input');
  for (const field of ['input', 'output'] as const) {
    if (typeof price[field] !== 'number' || !Number.isFinite(price[field]) || price[field] < 0) bad(field);
  }
  if (price.cachedInput !== undefined && (typeof price.cachedInput !== 'number' || !Number.isFinite(price.cachedInput) || price.cachedInput < 0)) bad('cachedInput');
}
