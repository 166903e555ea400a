import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';

/** A worker this process runs for the Zap, with the connection it polls on. */
export interface LocalWorker {
  worker: Worker;
  connection: NativeConnection;
}

/**
 * Eager workflow start for a `Zap` that runs its own worker in this process. A task is then
 * started through a client on that worker's `NativeConnection` with `requestEagerStart`: the
 * server hands the task's first workflow task back in the start response, and the worker runs it
 * at once instead of the server queueing it on the task queue for a poller to pick up.
 *
 * When it does not apply the start is an ordinary one: no running local worker (then there is no
 * client to give), and Core itself drops the request when the worker has no free workflow-task
 * slot, as the server does when the task already exists (`USE_EXISTING` returns the running one).
 * Workers of a Worker Deployment are not registered: eager start would bypass the deployment's
 * routing of new tasks to its current version.
 */
export class EagerStarter {
  private readonly workers = new Set<LocalWorker>();
  private readonly clients = new WeakMap<NativeConnection, Client>();

  /** @param base the Zap's client, whose namespace, data converter, identity and interceptors the start clients copy */
  constructor(private readonly base: () => Client) {}

  /** Registers a worker of this Zap; the returned function unregisters it (before its connection closes). */
  add(local: LocalWorker): () => void {
    this.workers.add(local);
    return () => {
      this.workers.delete(local);
    };
  }

  /** A client that starts tasks eagerly on a running local worker, or undefined when none runs. */
  client(): Client | undefined {
    for (const local of this.workers) {
      if (local.worker.getState() !== 'RUNNING') continue;
      let client = this.clients.get(local.connection);
      if (!client) {
        const { namespace, identity, loadedDataConverter, interceptors } = this.base().options;
        client = new Client({ connection: local.connection, namespace, identity, dataConverter: loadedDataConverter, interceptors });
        this.clients.set(local.connection, client);
      }
      return client;
    }
    return undefined;
  }
}
