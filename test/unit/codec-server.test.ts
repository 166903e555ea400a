import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, startCodecServer, type CodecServer } from '../../src/codec';

const UI_ORIGIN = 'http://localhost:8233';

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

function fromJson(payload: { metadata: Record<string, string>; data: string }): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(payload.data, 'base64'),
  };
}

describe('startCodecServer', () => {
  const codec = new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] });
  let server: CodecServer;

  beforeAll(async () => {
    server = await startCodecServer({ codec, port: 0 });
  });

  afterAll(async () => {
    await server?.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  test('binds to loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  test('POST /decode decrypts what the codec encrypted; /encode encrypts; a path prefix is accepted', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload({ plan: 'TOP-SECRET' })]);
    const decoded = await post('/decode', { payloads: encrypted.map(toJson) }, { Origin: UI_ORIGIN });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const body = (await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(defaultPayloadConverter.fromPayload(fromJson(body.payloads[0] as never))).toEqual({ plan: 'TOP-SECRET' });

    const encoded = await post('/default/encode', { payloads: [toJson(defaultPayloadConverter.toPayload('hello'))] });
    const encodedBody = (await encoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(Buffer.from(encodedBody.payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    const [roundTrip] = await codec.decode(encodedBody.payloads.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(roundTrip as Payload)).toBe('hello');
  });

  test('CORS: the Web UI origin passes the preflight; other origins are refused', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-private-network')).toBe('true');

    const foreign = await post('/decode', { payloads: [] }, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('bad requests get clear 4xx answers; a payload the codec cannot decrypt is a 422 naming the key', async () => {
    expect((await post('/decode', 'not json')).status).toBe(400);
    const wrongShape = await post('/decode', { payloads: 'nope' });
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: string }).error).toMatch(/payloads/);
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await post('/elsewhere', { payloads: [] })).status).toBe(404);

    const other = new AesGcmPayloadCodec({ keys: [{ id: 'k9', key: randomBytes(32) }] });
    const foreignPayloads = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const failed = await post('/decode', { payloads: foreignPayloads.map(toJson) });
    expect(failed.status).toBe(422);
    expect(((await failed.json()) as { error: string }).error).toMatch(/key 'k9'/);
  });

  test('allowedOrigins replaces the defaults', async () => {
    const cloud = await startCodecServer({ codec, port: 0, allowedOrigins: ['https://cloud.temporal.io'] });
    try {
      const allowed = await fetch(`${cloud.url}/decode`, {
        method: 'POST',
        headers: { Origin: 'https://cloud.temporal.io', 'Content-Type': 'application/json' },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toEqual({ payloads: [] });
      const local = await fetch(`${cloud.url}/decode`, {
        method: 'POST',
        headers: { Origin: UI_ORIGIN, 'Content-Type': 'application/json' },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(local.status).toBe(403);
    } finally {
      await cloud.close();
    }
  });
});
