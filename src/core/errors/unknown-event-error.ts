import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.UnknownEvent;

/** Options of {@link UnknownEventError}. */
export interface UnknownEventErrorOptions {
  taskId: string;
  /** The name that was sent. */
  eventName: string;
  /** The task's agent, when known. */
  agentName?: string;
  /** The names the agent declares, listed in the default message. @default [] */
  declaredEvents?: readonly string[];
  /** @default "Task '<taskId>' (agent '<agentName>') does not wait for events named '<eventName>'. Declared events: …" */
  message?: string;
  cause?: unknown;
}

/** `zap.sendEvent` named an event the task's agent does not declare in its `events`. Nothing was delivered. */
export class UnknownEventError extends ZapError {
  readonly taskId: string;
  readonly eventName: string;
  readonly agentName: string | undefined;
  /** The names the task's agent declares. */
  readonly declaredEvents: readonly string[];

  constructor({ taskId, eventName, agentName, declaredEvents = [], message, cause }: UnknownEventErrorOptions) {
    const agent = agentName !== undefined ? ` (agent '${agentName}')` : '';
    const declared = declaredEvents.length > 0 ? `Declared events: ${declaredEvents.join(', ')}.` : 'Its agent declares no events.';
    super({
      code: CODE,
      message: message ?? `Task '${taskId}'${agent} does not wait for events named '${eventName}'. ${declared}`,
      cause,
    });
    this.taskId = taskId;
    this.eventName = eventName;
    this.agentName = agentName;
    this.declaredEvents = declaredEvents;
  }

  static override isInstance(error: unknown): error is UnknownEventError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
