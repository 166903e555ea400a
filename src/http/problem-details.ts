import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { FailureType } from '../core/failure-types';

/** Media type of every error answer of the HTTP API (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** Prefix of the `type` URI of every problem; the code follows in kebab case. */
export const PROBLEM_TYPE_BASE_URI = 'https://zap-agents.dev/problems/';

/**
 * Problem codes of the HTTP layer itself, next to the `ZapError` codes (`FailureType`) that the
 * operations throw.
 */
export const HttpProblemCode = {
  /** The body is not valid JSON. */
  MalformedJson: 'MALFORMED_JSON',
  /** A body that is not `application/json`. */
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** A body larger than the API's `bodyLimitBytes`. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** No route has this method and path. */
  RouteNotFound: 'ROUTE_NOT_FOUND',
  /** No credentials, or credentials `authenticate` does not accept. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** A `Host` or `Origin` outside the API's `allowedHosts` (DNS-rebinding protection). */
  HostNotAllowed: 'HOST_NOT_ALLOWED',
  /** `GET /readyz`: Temporal did not answer in time. */
  NotReady: 'NOT_READY',
  /** Anything unexpected; the details stay in the server's log. */
  Internal: 'INTERNAL_ERROR',
} as const;

/** HTTP status and title of each problem code the API answers with. */
export const PROBLEM_STATUS: Readonly<Record<string, { status: number; title: string }>> = Object.freeze({
  [FailureType.ZapValidation]: { status: 400, title: 'Invalid request' },
  [FailureType.InvalidDecision]: { status: 400, title: 'Invalid decision' },
  [HttpProblemCode.MalformedJson]: { status: 400, title: 'Malformed JSON' },
  [HttpProblemCode.Unauthenticated]: { status: 401, title: 'Authentication required' },
  [FailureType.PermissionDenied]: { status: 403, title: 'Permission denied' },
  [HttpProblemCode.HostNotAllowed]: { status: 403, title: 'Host not allowed' },
  [FailureType.TaskNotFound]: { status: 404, title: 'Task not found' },
  [FailureType.ApprovalNotFound]: { status: 404, title: 'Approval not found' },
  [FailureType.UnknownEvent]: { status: 404, title: 'Unknown event' },
  [FailureType.PipelineNotFound]: { status: 404, title: 'Pipeline not found' },
  [FailureType.ScheduleNotFound]: { status: 404, title: 'Schedule not found' },
  [HttpProblemCode.RouteNotFound]: { status: 404, title: 'Not found' },
  [FailureType.TaskClosed]: { status: 409, title: 'Task closed' },
  [FailureType.EventBufferFull]: { status: 409, title: 'Event buffer full' },
  [FailureType.ScheduleAlreadyExists]: { status: 409, title: 'Schedule already exists' },
  [HttpProblemCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [HttpProblemCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  // The route exists and the body is well-formed; the agent it names is not on this server.
  [FailureType.AgentNotFound]: { status: 422, title: 'Agent not found' },
  [FailureType.EventValidation]: { status: 422, title: 'Invalid event data' },
  [FailureType.VisionNotSupported]: { status: 422, title: 'Vision not supported' },
  // A USD budget for a model this server has no price for: the request is fine, the server cannot honour it.
  [FailureType.ModelPriceUnknown]: { status: 422, title: 'Model price unknown' },
  [HttpProblemCode.Internal]: { status: 500, title: 'Internal server error' },
  [FailureType.NoWorker]: { status: 503, title: 'No worker' },
  [FailureType.ZapNotStarted]: { status: 503, title: 'Not started' },
  [FailureType.ZapConnection]: { status: 503, title: 'Temporal unreachable' },
  [HttpProblemCode.NotReady]: { status: 503, title: 'Not ready' },
});

/** An error answer of the HTTP API: RFC 9457 problem details with a stable `code`. */
export const problemDetailsSchema = z
  .object({
    type: z.string().describe(`A stable URI per code: ${PROBLEM_TYPE_BASE_URI}<code in kebab case>.`),
    title: z.string().describe('Short summary of the problem type.'),
    status: z.number().int().describe('The HTTP status code.'),
    detail: z.string().describe('What went wrong in this occurrence, for a human.'),
    code: z.string().describe('Machine-readable code: TASK_NOT_FOUND, ZAP_VALIDATION, PERMISSION_DENIED, …'),
    instance: z.string().optional().describe('The request path of this occurrence.'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('EVENT_VALIDATION: what is wrong with the event data, by field path.'),
    approvalIds: z
      .array(z.string())
      .optional()
      .describe('APPROVAL_NOT_FOUND: the approval ids the task does not know; PERMISSION_DENIED: the approvals the principal may not decide.'),
  })
  .describe('RFC 9457 problem details.');

/** An error answer of the HTTP API. */
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

/** The `type` URI of a problem code: `TASK_NOT_FOUND` → `https://zap-agents.dev/problems/task-not-found`. */
export function problemTypeUri(code: string): string {
  return PROBLEM_TYPE_BASE_URI + code.toLowerCase().replace(/_/g, '-');
}

/** The problem of a code (status and title from {@link PROBLEM_STATUS}; unknown codes are 500). */
export function createProblem(code: string, detail: string, instance?: string): ProblemDetails {
  const known = PROBLEM_STATUS[code] ?? PROBLEM_STATUS[HttpProblemCode.Internal]!;
  return {
    type: problemTypeUri(code),
    title: known.title,
    status: known.status,
    detail,
    code,
    ...(instance !== undefined ? { instance } : {}),
  };
}

/** The HTTP answer of a problem. */
export function problemResponse(problem: ProblemDetails, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/** An exception that answers with a problem (Hono's `onError` returns its response as is). */
export function problemException(problem: ProblemDetails, headers: Record<string, string> = {}): HTTPException {
  return new HTTPException(problem.status as ConstructorParameters<typeof HTTPException>[0], {
    message: problem.detail,
    res: problemResponse(problem, headers),
  });
}
