import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Principal } from '../operations';

/** One MCP session: its server (bound to the principal that opened it) and its transport. */
export interface McpHttpSession {
  readonly id: string;
  readonly server: McpServer;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly principal: Principal;
  /** Responses whose body is still being sent (an SSE stream of a call, or the GET stream). */
  openResponses: number;
  lastActiveAt: number;
}

/**
 * The open sessions of one handler, least recently used first. A session is idle when it has no
 * open response; an idle session expires `idleTimeoutMs` after its last activity, and the least
 * recently used idle session makes room when `maxSessions` are open. Expiry runs as requests
 * arrive, so the registry needs no timer.
 */
export class McpHttpSessions {
  private readonly sessions = new Map<string, McpHttpSession>();

  constructor(private readonly limits: { idleTimeoutMs: number; maxSessions: number }) {}

  /** The session, when it exists and belongs to `principal` (another principal's id is unknown). */
  find(id: string, principal: Principal): McpHttpSession | undefined {
    this.expireIdle();
    const session = this.sessions.get(id);
    if (!session || !samePrincipal(session.principal, principal)) return undefined;
    this.touch(session);
    return session;
  }

  /** False when every session is busy and none can make room. */
  makeRoom(): boolean {
    this.expireIdle();
    if (this.sessions.size < this.limits.maxSessions) return true;
    for (const session of this.sessions.values()) {
      if (session.openResponses === 0) {
        this.close(session);
        return true;
      }
    }
    return false;
  }

  add(session: McpHttpSession): void {
    this.sessions.set(session.id, session);
  }

  /** Forgets the session (its server closed). */
  remove(id: string): void {
    this.sessions.delete(id);
  }

  /** The response, counted as open until its body has been sent or the client dropped it. */
  track(session: McpHttpSession, response: Response): Response {
    this.touch(session);
    if (!response.body) return response;
    session.openResponses += 1;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      session.openResponses -= 1;
      this.touch(session);
    };
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            finish();
            controller.close();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          finish();
          controller.error(error);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** Closes every session: their calls are aborted, their streams end. */
  async closeAll(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(open.map((session) => session.server.close()));
  }

  private touch(session: McpHttpSession): void {
    session.lastActiveAt = Date.now();
    if (this.sessions.get(session.id) !== session) return; // closed meanwhile
    // Re-inserting keeps the map in least-recently-used order.
    this.sessions.delete(session.id);
    this.sessions.set(session.id, session);
  }

  private expireIdle(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (session.lastActiveAt > cutoff) break;
      if (session.openResponses === 0) this.close(session);
    }
  }

  private close(session: McpHttpSession): void {
    this.sessions.delete(session.id);
    void session.server.close().catch(() => undefined);
  }
}

/** Same tenant, user, acting task and roles: a session never changes hands. */
function samePrincipal(a: Principal, b: Principal): boolean {
  const roles = (principal: Principal) => [...new Set(principal.roles)].sort().join(',');
  return a.tenantId === b.tenantId && a.userId === b.userId && a.actingTaskId === b.actingTaskId && roles(a) === roles(b);
}
