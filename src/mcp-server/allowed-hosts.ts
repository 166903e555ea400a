/** The hostnames of this machine, for a server that listens on 127.0.0.1 without authentication. */
export const LOCALHOST_NAMES: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why the request must be refused under DNS-rebinding protection, or undefined when it may
 * pass: its `Host`, and its `Origin` when it has one, must name one of `allowedHosts`
 * (hostnames, any port). A web page whose name was re-pointed at 127.0.0.1 keeps its own name
 * in both headers, so it is refused.
 */
export function hostRefusal(request: Request, allowedHosts: ReadonlySet<string>): string | undefined {
  const host = request.headers.get('host') ?? new URL(request.url).host;
  if (!allowedHosts.has(hostnameOf(`http://${host}`) ?? '')) return `Invalid Host header: ${host}`;
  const origin = request.headers.get('origin');
  if (origin !== null && !allowedHosts.has(hostnameOf(origin) ?? '')) return `Invalid Origin header: ${origin}`;
  return undefined;
}

/** Lower-cased hostnames, IPv6 addresses in brackets as URLs write them. */
export function normalizeAllowedHosts(hosts: readonly string[]): ReadonlySet<string> {
  return new Set(hosts.map((host) => host.trim().toLowerCase()));
}

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}
