/**
 * True when a call ended past its deadline (gRPC DEADLINE_EXCEEDED, wrapped by the Temporal
 * client or not). Pure: looks at `code` and messages along the `cause` chain.
 */
export function isDeadlineExceeded(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if ((current as { code?: unknown }).code === 4) return true;
    if (current instanceof Error && /DEADLINE_EXCEEDED|deadline exceeded/i.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
