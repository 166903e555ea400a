import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.NoWorker;

/** Options of {@link NoWorkerError}. */
export interface NoWorkerErrorOptions {
  namespace: string;
  taskQueue: string;
  /** What could not be done without a worker. @default 'this needs a running worker' */
  action?: string;
  cause?: unknown;
}

/**
 * No worker polls the task queue, so nothing can answer (a query, a catalog read). Start one
 * (`npx zap-worker ./my-zap.js`), or check that client and workers use the same namespace and
 * task queue.
 */
export class NoWorkerError extends ZapError {
  readonly namespace: string;
  readonly taskQueue: string;

  constructor(options: NoWorkerErrorOptions) {
    super({
      code: CODE,
      message:
        `No worker polls task queue '${options.taskQueue}' in namespace '${options.namespace}': ` +
        `${options.action ?? 'this needs a running worker'}. Start a worker (npx zap-worker ./my-zap.js) ` +
        'on that task queue, or check that client and workers use the same namespace and task queue.',
      cause: options.cause,
    });
    this.namespace = options.namespace;
    this.taskQueue = options.taskQueue;
  }

  static override isInstance(error: unknown): error is NoWorkerError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
