/**
 * Type tests of structured output, checked by `tsc -p tsconfig.json` (part of `npm test`): each
 * `@ts-expect-error` line must fail to compile, and every other line must compile.
 */
import { z } from 'zod';
import { Zap, ZapAgent, type OutputIssue, type OutputValidationError, type Task } from '../../src';

const Invoice = z.object({ number: z.string(), total: z.number(), paid: z.boolean().default(false) });

export const billing = new ZapAgent({ name: 'Billing', prompt: 'You read invoices.', output: Invoice });
// @ts-expect-error an output schema is a zod schema, not a JSON Schema object
export const notZod = new ZapAgent({ name: 'Bad', prompt: 'p', output: { type: 'object' } });

declare const zap: Zap;

export async function typedOutput(): Promise<void> {
  // executeTask with an outputSchema types the task's output from the schema (its output side).
  const started = await zap.executeTask({ agentName: 'Billing', task: 'Read invoice 7', outputSchema: Invoice });
  const startedTotal: number | undefined = started.output?.total;
  void startedTotal;

  // So does getTask; defaults make output fields required.
  const task = await zap.getTask(started.id, { outputSchema: Invoice });
  if (task.output) {
    const number: string = task.output.number;
    const paid: boolean = task.output.paid;
    void number;
    void paid;
    // @ts-expect-error the schema has no such field
    void task.output.customer;
    // @ts-expect-error total is a number
    const total: string = task.output.total;
    void total;
  }
  // The output may be missing (no valid answer yet): it must be narrowed.
  // @ts-expect-error possibly undefined
  void task.output.number;

  // Without a schema the output is unknown: it must be narrowed before use.
  const untyped = await zap.getTask(started.id);
  // @ts-expect-error unknown, not any
  void untyped.output.number;
  const asTask: Task = task;
  void asTask;

  // A typed task still has the rest of a task, and its output error is typed.
  const error: OutputValidationError | undefined = task.outputError;
  const issues: readonly OutputIssue[] | undefined = error?.issues;
  const raw: string | undefined = error?.rawAnswer;
  void issues;
  void raw;

  // A follow-up answers in its task's schema: it takes none.
  // @ts-expect-error no outputSchema on a follow-up
  await zap.executeTask({ followUpOnTask: started.id, task: 'And invoice 8?', outputSchema: Invoice });
  // @ts-expect-error outputSchema is a zod schema
  await zap.executeTask({ agentName: 'Billing', task: 'x', outputSchema: { type: 'object' } });
}
