import type { TemporalDevServer } from '../../src/testing/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__zapTemporalServer as TemporalDevServer | undefined;
  await server?.stop();
}
