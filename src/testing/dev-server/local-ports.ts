import { createServer } from 'node:net';

/** Binds `port` (0: any) and releases it; the bound port, or `undefined` when it is taken. */
export function listenOnce(ip: string, port: number): Promise<number | undefined> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePromise(undefined));
    server.listen({ host: ip, port, exclusive: true }, () => {
      const boundAddress = server.address();
      const boundPort = typeof boundAddress === 'object' && boundAddress !== null ? boundAddress.port : undefined;
      server.close(() => resolvePromise(boundPort));
    });
  });
}

/** A free port; `avoid` guards against the OS handing out a port just picked. */
export async function pickFreePort(ip: string, avoid: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = await listenOnce(ip, 0);
    if (port === undefined) throw new Error(`Cannot listen on ${ip}.`);
    if (!avoid.includes(port)) return port;
  }
}

/** `ip:port`, with an IPv6 address in brackets. */
export function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
