import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { TaskEvent } from '../core/events';
import type { WaitForTaskOptions } from '../operations';
import { describeTaskEvent } from './task-event-phrase';

/** `_meta` key of a progress notification: the task event it reports (`seq`, `type`). */
export const MCP_PROGRESS_EVENT_META_KEY = 'zap-agents/event';

/**
 * What `wait_for_task` gets from the MCP request: the request's abort signal (a
 * `notifications/cancelled`, or the connection closing, ends the wait) and, when the request
 * carries a `progressToken`, one `notifications/progress` per task event, numbered 1, 2, 3, …
 * (there is no total: a task decides itself how much work it does), with the event's phrase as
 * the message.
 */
export function waitOptionsForRequest(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): WaitForTaskOptions {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return { signal: extra.signal };
  let progress = 0;
  const onEvent = (event: TaskEvent): void => {
    progress += 1;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          message: describeTaskEvent(event),
          _meta: { [MCP_PROGRESS_EVENT_META_KEY]: { seq: event.seq, type: event.type } },
        },
      })
      // A client that went away misses its progress; the wait itself ends through the signal.
      .catch(() => undefined);
  };
  return { signal: extra.signal, onEvent };
}
