import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ZapConfigurationError } from '../../src';
import { AesGcmPayloadCodec, startCodecServer } from '../../src/codec';
import {
  chainPayloadCodecs,
  CLAIM_CHECK_ENCODING,
  ClaimCheckCodec,
  DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
  FileSystemPayloadStore,
  isClaimCheckReference,
  PayloadStoreError,
  type PayloadStore,
} from '../../src/payload-store';
import { serializedPayloadSize } from '../fixtures/history-payloads';

const THRESHOLD = 1024;

function payloadOf(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

function valueOf(payload: Payload | undefined): unknown {
  return defaultPayloadConverter.fromPayload(payload as Payload);
}

function referenceOf(payload: Payload | undefined): { key: string; sha256: string; size: number } {
  return JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8'));
}

/** The error of a promise that must reject. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => Promise.reject(new Error('expected a failure')),
    (error: unknown) => error,
  );

/** Every file under `directory`, as paths relative to it. */
function filesUnder(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1))
    .sort();
}

describe('ClaimCheckCodec with a FileSystemPayloadStore', () => {
  let root: string;
  let directory: string;
  let store: FileSystemPayloadStore;
  let codec: ClaimCheckCodec;
  const large = { text: 'x'.repeat(5000), numbers: [1, 2, 3] };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'zap-claim-check-'));
    directory = join(root, 'payloads', 'nested');
    store = new FileSystemPayloadStore({ directory });
    codec = new ClaimCheckCodec({ store, thresholdBytes: THRESHOLD });
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('a payload over the threshold becomes a small reference and decodes to the original', async () => {
    const original = payloadOf(large);
    const [reference] = await codec.encode([original]);

    expect(isClaimCheckReference(reference as Payload)).toBe(true);
    expect(Buffer.from(reference?.metadata?.encoding ?? []).toString()).toBe(CLAIM_CHECK_ENCODING);
    expect(Object.keys(reference?.metadata ?? {})).toEqual(['encoding']);
    const { key, sha256, size } = referenceOf(reference);
    const stored = temporal.api.common.v1.Payload.encode(original).finish();
    expect(sha256).toBe(createHash('sha256').update(stored).digest('hex'));
    expect(key).toBe(`sha256/${sha256}`);
    expect(size).toBe(stored.length);
    expect(serializedPayloadSize(reference as Payload)).toBeLessThan(256);

    // The store directory was created on demand and holds exactly the serialized payload.
    expect(filesUnder(directory)).toEqual([key]);
    expect(readFileSync(join(directory, key)).equals(Buffer.from(stored))).toBe(true);

    const [decoded] = await codec.decode([reference as Payload]);
    expect(valueOf(decoded)).toEqual(large);
    expect(Buffer.from(decoded?.metadata?.encoding ?? []).toString()).toBe('json/plain');
  });

  test('payloads at or below the threshold are untouched and nothing is written', async () => {
    const small = payloadOf('hello');
    const atThreshold = payloadOf('y'.repeat(THRESHOLD));
    // Trim the string until the serialized payload is exactly the threshold.
    const excess = serializedPayloadSize(atThreshold) - THRESHOLD;
    const exact = payloadOf('y'.repeat(THRESHOLD - excess));
    expect(serializedPayloadSize(exact)).toBe(THRESHOLD);

    const encoded = await codec.encode([small, exact]);
    expect(encoded[0]).toBe(small);
    expect(encoded[1]).toBe(exact);
    expect(existsSync(directory)).toBe(false);

    const justOver = payloadOf('y'.repeat(THRESHOLD - excess + 1));
    const [offloaded] = await codec.encode([justOver]);
    expect(isClaimCheckReference(offloaded as Payload)).toBe(true);
  });

  test('payloads that are not references pass through decode; a batch keeps its order', async () => {
    const small = payloadOf({ a: 1 });
    const encoded = await codec.encode([small, payloadOf(large), payloadOf('tail')]);
    expect(encoded.map((payload) => isClaimCheckReference(payload))).toEqual([false, true, false]);
    const decoded = await codec.decode(encoded);
    expect(decoded.map(valueOf)).toEqual([{ a: 1 }, large, 'tail']);
    expect(decoded[0]).toBe(small);
  });

  test('keys are content addresses: encoding the same payload again (a retry, another process) writes the same key', async () => {
    const [first] = await codec.encode([payloadOf(large)]);
    const [second] = await codec.encode([payloadOf(large)]);
    const otherProcess = new ClaimCheckCodec({ store: new FileSystemPayloadStore({ directory }), thresholdBytes: THRESHOLD });
    const [third, fourth] = await otherProcess.encode([payloadOf(large), payloadOf(large)]);

    expect(referenceOf(second)).toEqual(referenceOf(first));
    expect(referenceOf(third)).toEqual(referenceOf(first));
    expect(referenceOf(fourth)).toEqual(referenceOf(first));
    // One object, and no temporary file left behind by the concurrent writes.
    expect(filesUnder(directory)).toEqual([referenceOf(first).key]);

    const [different] = await codec.encode([payloadOf({ ...large, numbers: [4] })]);
    expect(referenceOf(different).key).not.toBe(referenceOf(first).key);
  });

  test('a corrupted object is detected and the error names the key', async () => {
    const [reference] = await codec.encode([payloadOf(large)]);
    const { key } = referenceOf(reference);
    const path = join(directory, key);
    const bytes = readFileSync(path);
    const flipped = bytes.length - 10;
    bytes.writeUInt8(bytes.readUInt8(flipped) ^ 0xff, flipped); // same size, one byte flipped
    writeFileSync(path, bytes);

    const error = await failure(codec.decode([reference as Payload]));
    expect(PayloadStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PAYLOAD_STORE', failure: 'corrupted', key, location: directory });
    expect((error as Error).message).toContain(key);
    expect((error as Error).message).toMatch(/expected \d+ bytes with SHA-256 [0-9a-f]{64}, found \d+ bytes/);

    writeFileSync(path, bytes.subarray(0, 100)); // truncated
    expect(await failure(codec.decode([reference as Payload]))).toMatchObject({ failure: 'corrupted', key });
  });

  test('a missing object fails with an error that names the key and the store', async () => {
    const [reference] = await codec.encode([payloadOf(large)]);
    const { key } = referenceOf(reference);
    await store.delete(key);
    await store.delete(key); // deleting twice is not an error

    const error = await failure(codec.decode([reference as Payload]));
    expect(PayloadStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ failure: 'missing', key, location: directory });
    expect((error as Error).message).toContain(`Payload '${key}'`);
    expect((error as Error).message).toContain(directory);
  });

  test('a malformed reference is refused without touching the store (no path traversal)', async () => {
    const reference = (data: unknown): Payload => ({
      metadata: { encoding: Buffer.from(CLAIM_CHECK_ENCODING) },
      data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
    });
    const sha256 = 'a'.repeat(64);
    const traversal = await failure(codec.decode([reference({ key: '../../etc/passwd', sha256, size: 1 })]));
    expect(traversal).toMatchObject({ failure: 'invalid-reference', key: '../../etc/passwd' });
    expect(await failure(codec.decode([reference('not json')]))).toMatchObject({ failure: 'invalid-reference', key: undefined });
    expect(await failure(codec.decode([reference({ key: 'sha256/abc', sha256: 'nope', size: 1 })]))).toMatchObject({
      failure: 'invalid-reference',
    });
  });

  test('a failing store becomes a PayloadStoreError naming the key, with the cause', async () => {
    const cause = new Error('disk full');
    const failingStore: PayloadStore = {
      location: 'memory://broken',
      put: async () => {
        throw cause;
      },
      get: async () => {
        throw cause;
      },
    };
    const broken = new ClaimCheckCodec({ store: failingStore, thresholdBytes: THRESHOLD });
    const written = await failure(broken.encode([payloadOf(large)]));
    expect(written).toMatchObject({ failure: 'unavailable', location: 'memory://broken', cause });
    expect((written as PayloadStoreError).key).toMatch(/^sha256\/[0-9a-f]{64}$/);
    expect((written as Error).message).toContain((written as PayloadStoreError).key);
    expect((written as Error).message).toContain('disk full');

    const [reference] = await codec.encode([payloadOf(large)]);
    const read = await failure(broken.decode([reference as Payload]));
    expect(read).toMatchObject({ failure: 'unavailable', key: referenceOf(reference).key, cause });
  });

  test('with encryption first, the store holds only ciphertext and the chain decodes in reverse order', async () => {
    const encryption = new AesGcmPayloadCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] });
    const chain = chainPayloadCodecs([encryption, codec]);
    const secret = { plan: 'TOP-SECRET', padding: 'z'.repeat(4000) };

    const [reference] = await chain.encode([payloadOf(secret)]);
    expect(isClaimCheckReference(reference as Payload)).toBe(true);
    const [key] = filesUnder(directory);
    const stored = readFileSync(join(directory, key as string));
    expect(stored.includes(Buffer.from('TOP-SECRET'))).toBe(false);
    expect(stored.includes(Buffer.from('binary/encrypted'))).toBe(true);

    const [decoded] = await chain.decode([reference as Payload]);
    expect(valueOf(decoded)).toEqual(secret);
    // The claim-check codec alone gives back the encrypted payload.
    const [ciphertext] = await codec.decode([reference as Payload]);
    expect(Buffer.from(ciphertext?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  });

  test('the codec server serves references decoded, so the Web UI shows the original', async () => {
    const server = await startCodecServer({ codec, port: 0 });
    try {
      const [reference] = await codec.encode([payloadOf(large)]);
      const response = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          payloads: [
            {
              metadata: { encoding: Buffer.from(reference?.metadata?.encoding ?? []).toString('base64') },
              data: Buffer.from(reference?.data ?? []).toString('base64'),
            },
          ],
        }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
      const decoded = body.payloads[0];
      expect(Buffer.from(decoded?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(decoded?.data ?? '', 'base64').toString())).toEqual(large);
    } finally {
      await server.close();
    }
  });

  test('options are validated at construction', () => {
    expect(() => new ClaimCheckCodec({ store: undefined as never })).toThrow(ZapConfigurationError);
    expect(() => new ClaimCheckCodec({ store, thresholdBytes: -1 })).toThrow(/thresholdBytes/);
    expect(() => new ClaimCheckCodec({ store, thresholdBytes: 1.5 })).toThrow(/thresholdBytes/);
    expect(new ClaimCheckCodec({ store }).thresholdBytes).toBe(DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES);
    expect(DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES).toBe(128 * 1024);
    expect(() => chainPayloadCodecs([])).toThrow(ZapConfigurationError);
    expect(() => new FileSystemPayloadStore({ directory: ' ' })).toThrow(ZapConfigurationError);
  });
});

describe('FileSystemPayloadStore', () => {
  let directory: string;

  beforeEach(() => {
    directory = join(mkdtempSync(join(tmpdir(), 'zap-fs-store-')), 'store');
  });

  afterEach(() => {
    rmSync(join(directory, '..'), { recursive: true, force: true });
  });

  test('put, get and delete; a missing key reads as undefined', async () => {
    const store = new FileSystemPayloadStore({ directory });
    expect(await store.get('sha256/missing')).toBeUndefined();
    await store.put('sha256/abc', Buffer.from('hello'));
    expect(Buffer.from((await store.get('sha256/abc')) ?? []).toString()).toBe('hello');
    await store.put('sha256/abc', Buffer.from('hello again'));
    expect(Buffer.from((await store.get('sha256/abc')) ?? []).toString()).toBe('hello again');
    await store.delete('sha256/abc');
    expect(await store.get('sha256/abc')).toBeUndefined();
    expect(filesUnder(directory)).toEqual([]);
  });

  test('concurrent writes of one key leave one whole file and no temporary files', async () => {
    const store = new FileSystemPayloadStore({ directory });
    const bytes = randomBytes(256 * 1024);
    await Promise.all(Array.from({ length: 8 }, () => store.put('sha256/same', bytes)));
    expect(filesUnder(directory)).toEqual(['sha256/same']);
    expect(Buffer.from((await store.get('sha256/same')) ?? []).equals(bytes)).toBe(true);
  });

  test('keys that could leave the directory are refused', async () => {
    const store = new FileSystemPayloadStore({ directory });
    for (const key of ['../outside', '/etc/passwd', 'a/../../b', '.hidden', 'a//b', '']) {
      expect(await failure(store.put(key, Buffer.from('x')))).toMatchObject({ failure: 'invalid-reference', key });
      expect(await failure(store.get(key))).toMatchObject({ failure: 'invalid-reference' });
    }
    expect(existsSync(join(directory, '..', 'outside'))).toBe(false);
  });
});
