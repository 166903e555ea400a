/**
 * Type tests of task contexts, checked by `tsc -p tsconfig.json` (part of `npm test`): each
 * `@ts-expect-error` line must fail to compile, and every other line must compile.
 */
import { z } from 'zod';
import { Zap, ZapAgent, tool } from '../../src';

interface SupportContext {
  customerId: string;
  tier?: 'gold' | 'silver';
  orders: { id: string; total: number }[];
}

// A tool written inside the agent gets the agent's context type, not `any`.
export const support = new ZapAgent<SupportContext>({
  name: 'Support',
  prompt: (context) => `You help customer ${context.customerId} (${context.tier ?? 'standard'}).`,
  tools: [
    tool({
      name: 'orders',
      description: 'The customer orders',
      parameters: z.object({}),
      execute: (_args, { context }) => {
        const id: string = context.customerId;
        // @ts-expect-error the context has no such field
        void context.missing;
        return id;
      },
    }),
  ],
});

// A tool written apart without a context type sees `unknown`: it must narrow before use.
export const standalone = tool({
  name: 'standalone',
  description: 'Uses no context',
  parameters: z.object({}),
  execute: (_args, { context }) => {
    // @ts-expect-error unknown, not any
    void context.customerId;
    return 'ok';
  },
});
export const withStandalone = new ZapAgent<SupportContext>({ name: 'Mixed', prompt: 'p', tools: [standalone] });

// A tool typed for another context does not fit the agent.
const needsAccount = tool<z.ZodObject<{}>, { accountId: string }>({
  name: 'account',
  description: 'Needs an account id',
  parameters: z.object({}),
  execute: (_args, { context }) => context.accountId,
});
// @ts-expect-error SupportContext has no accountId
export const mismatched = new ZapAgent<SupportContext>({ name: 'Mismatch', prompt: 'p', tools: [needsAccount] });

// Context types must be JSON: Dates, functions, Maps and class instances are compile errors.
// @ts-expect-error a Date does not survive JSON
export const withDate = new ZapAgent<{ since: Date }>({ name: 'Dated', prompt: 'p' });
// @ts-expect-error a function does not survive JSON
export const withFunction = new ZapAgent({ name: 'Callback', prompt: (context: { onDone: () => void }) => String(context) });
// @ts-expect-error a Map does not survive JSON
export const withMap = new Zap<{ index: Map<string, string> }>({ agents: [] });

// An untyped Zap takes any JSON context, or none.
export const untyped = new Zap({ agents: [new ZapAgent({ name: 'Plain', prompt: 'p' })] });

// A Zap whose context type excludes undefined needs a context for every new task…
declare const typed: Zap<SupportContext>;
export async function startTyped(): Promise<void> {
  await typed.executeTask({ agentName: 'Support', task: 'Where is my order?', context: { customerId: 'c-1', orders: [] } });
  // @ts-expect-error the context is required
  await typed.executeTask({ agentName: 'Support', task: 'Where is my order?' });
  // @ts-expect-error and must have the context type
  await typed.executeTask({ agentName: 'Support', task: 'Where is my order?', context: { customerId: 42, orders: [] } });
  // …but not for a follow-up, which keeps the task's context.
  await typed.executeTask({ followUpOnTask: 'Support-1', task: 'And the other one?' });
  // @ts-expect-error a follow-up cannot change the context
  await typed.executeTask({ followUpOnTask: 'Support-1', task: 'And the other one?', context: { customerId: 'c-2', orders: [] } });
}

// …while a context type that includes undefined, or an untyped Zap, makes it optional.
declare const optional: Zap<SupportContext | undefined>;
export async function startOptional(): Promise<void> {
  await optional.executeTask({ agentName: 'Support', task: 'Hello' });
  await untyped.executeTask({ agentName: 'Plain', task: 'Hello' });
  await untyped.executeTask({ agentName: 'Plain', task: 'Hello', context: { any: ['json'] } });
}
