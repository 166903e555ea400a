import type { TemporalDevServer } from '../../src/testing/temporal-dev-server';
import type { TestNatsServer } from './nats-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__zapTemporalServer as TemporalDevServer | undefined;
  const nats = (globalThis as Record<string, unknown>).__zapNatsServer as TestNatsServer | undefined;
  await Promise.all([server?.stop(), nats?.stop()]);
}
