import { isGrpcServiceError } from '@temporalio/client';
import { HTTPException } from 'hono/http-exception';
import { ApprovalNotFoundError, EventValidationError, PermissionDeniedError, ZapError } from '../core/errors';
import { FailureType } from '../core/failure-types';
import { createProblem, HttpProblemCode, PROBLEM_STATUS, type ProblemDetails } from './problem-details';

/** gRPC status UNAVAILABLE: the Temporal server cannot be reached. */
const GRPC_UNAVAILABLE = 14;
/** What a 500 says: nothing about the error itself, which goes to the server's log. */
const INTERNAL_DETAIL = 'The server could not complete the request.';

/** Whether the error answers with a 500, i.e. should be logged: nothing a caller did explains it. */
export function isUnexpectedError(error: unknown): boolean {
  return problemFromError(error).status === 500;
}

/**
 * The problem an error answers with: a `ZapError` by its `code` (ZAP_VALIDATION 400,
 * PERMISSION_DENIED 403, TASK_NOT_FOUND 404, TASK_CLOSED 409, EVENT_VALIDATION 422, NO_WORKER
 * 503, …), an unreachable Temporal 503, and anything else 500 with a detail that reveals nothing.
 * APPROVAL_NOT_FOUND and an `authorize` refusal (PERMISSION_DENIED) carry their `approvalIds`.
 */
export function problemFromError(error: unknown, instance?: string): ProblemDetails {
  // Known codes only: their messages are written for callers (a 503's names a namespace or task
  // queue, never a secret). Other ZapErrors (configuration, payload store, …) are internal.
  if (EventValidationError.isInstance(error)) {
    const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    return { ...createProblem(error.code, error.message, instance), ...(issues.length > 0 ? { issues } : {}) };
  }
  if (ApprovalNotFoundError.isInstance(error) || (PermissionDeniedError.isInstance(error) && error.approvalIds.length > 0)) {
    // The ids a batch decision was refused for, so the caller can fix the batch.
    return { ...createProblem(error.code, error.message, instance), approvalIds: [...error.approvalIds] };
  }
  if (ZapError.isInstance(error) && PROBLEM_STATUS[error.code] !== undefined) {
    return createProblem(error.code, error.message, instance);
  }
  if (isTemporalUnavailable(error)) {
    return createProblem(FailureType.ZapConnection, 'The Temporal server could not be reached; try again later.', instance);
  }
  if (error instanceof HTTPException && error.status < 500) {
    return createProblem(codeOfStatus(error.status), error.message, instance);
  }
  return createProblem(HttpProblemCode.Internal, INTERNAL_DETAIL, instance);
}

function isTemporalUnavailable(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return [error, cause].some((candidate) => isGrpcServiceError(candidate) && candidate.code === GRPC_UNAVAILABLE);
}

/** The problem code of an HTTP exception Hono raised itself (e.g. a malformed request). */
function codeOfStatus(status: number): string {
  if (status === 401) return HttpProblemCode.Unauthenticated;
  if (status === 404) return HttpProblemCode.RouteNotFound;
  if (status === 413) return HttpProblemCode.PayloadTooLarge;
  if (status === 415) return HttpProblemCode.UnsupportedMediaType;
  return FailureType.ZapValidation;
}
